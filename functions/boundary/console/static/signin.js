// The console's sign-in: the Firebase JS SDK (vendored compat build) signs the member of staff
// in with email and password, against the Auth emulator locally; the fresh ID token goes to
// our /session with the page's CSRF token, which sets the HttpOnly session cookie. The SDK keeps
// nothing in the browser (persistence NONE): the session cookie is the only credential.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("firebase-config").textContent);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const form = document.getElementById("signin-form");
  const error = document.getElementById("signin-error");
  const button = document.getElementById("signin-button");
  const app = firebase.initializeApp({
    apiKey: config.apiKey,
    authDomain: config.authDomain,
    projectId: config.projectId,
  });
  const auth = app.auth();
  if (config.emulator) {
    auth.useEmulator(config.emulator, { disableWarnings: true });
  }
  const ready = auth.setPersistence(firebase.auth.Auth.Persistence.NONE);

  function show(key) {
    error.textContent = error.dataset[key] || error.dataset.failed;
    error.hidden = false;
    button.disabled = false;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    let idToken;
    try {
      await ready;
      const credential = await auth.signInWithEmailAndPassword(
        form.email.value.trim(),
        form.password.value,
      );
      idToken = await credential.user.getIdToken();
    } catch (e) {
      show("invalid");
      return;
    }
    const response = await fetch(config.sessionUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ idToken: idToken, csrfToken: csrf }),
    });
    await auth.signOut();
    if (response.ok) {
      window.location.assign(config.next);
      return;
    }
    const answer = await response.json().catch(function () { return {}; });
    show(answer.error === "not_staff" ? "notStaff" : "invalid");
  });
})();
