"""Secondary indexes: key extraction, specs, the sorted index, bounds analysis and index DDL."""
