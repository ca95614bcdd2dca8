"""Geospatial data: GeoJSON and legacy shapes, spherical and flat predicates, 2dsphere and 2d indexes,
``$near``/``$nearSphere`` plans and the ``$geoNear`` stage (see docs/architecture.md)."""
