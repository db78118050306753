"""The facilitator's area: import spreadsheets, focus-group and roundtable notes, and email."""
