"""Demo scenarios the stack's demo can run (each a function of a started stack)."""
