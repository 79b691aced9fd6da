"""One small module per deployed target: parse the trigger, call ``shared``, shape the answer."""
