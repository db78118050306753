"""Staff sign-in, sign-out and accepting an invitation."""
