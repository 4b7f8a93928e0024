"""`/v1/cases`: the review queue for operators (`risk.cases`)."""
