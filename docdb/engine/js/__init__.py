"""Server-side JavaScript (``$where``, ``$function``, ``$accumulator``, mapReduce) on QuickJS."""

from docdb.engine.js.scope import SETTINGS, JsScope, configure, require_enabled

__all__ = ["SETTINGS", "JsScope", "configure", "require_enabled"]
