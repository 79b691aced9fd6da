"""The Cloud Firestore emulator of the local stack and its trigger router."""
