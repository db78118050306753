"""The public participant journey: open consultations, the anonymous form, receipts."""
