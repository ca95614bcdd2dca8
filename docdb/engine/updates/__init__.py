"""Update operators, split by family; ``docdb.engine.update`` is the API."""
