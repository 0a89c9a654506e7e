"""The officers' and auditors' console: an HTTP API and server-rendered pages behind a real sign-in."""
