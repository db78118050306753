"""Program reviews: several consultations (streams) run as one review, with a public tracker."""
