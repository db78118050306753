"""Administration: staff users, invitations and the audit log (admin role only)."""
