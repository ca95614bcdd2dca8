"""Collection validators: the options, the check of a write, and mongod's errInfo for a failure."""
