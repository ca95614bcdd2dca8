"""getParameter and setParameter: mongod 7.0's server parameters, under its names and BSON types.

Every parameter of ``mongod_parameters`` is shown, with mongod's default where docdb has no behaviour for
it; the ones docdb keeps (``PARAMETERS``) show their live values. A parameter whose value docdb keeps
(``ServerState.parameters``, the cursor registry) has a setter and is changed by ``setParameter``
(mongod's reply: ``was``, the first named parameter's previous value). One that mongod lets you set at
run time but docdb has no behaviour for is refused with NotImplemented rather than accepted and ignored.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bson.decimal128 import Decimal128
from bson.int64 import Int64

from docdb import MONGODB_VERSION
from docdb.errors import ErrorCode, MongoError
from docdb.server.context import CommandContext
from docdb.server.mongod_parameters import MONGOD_PARAMETERS, TEST_ONLY_PARAMETERS, MongodParameter
from docdb.server.parameters import FIELDS
from docdb.server.params import GENERIC_FIELDS, check_fields, get_bool, get_string, is_number
from docdb.server.registry import command

Setter = Callable[[CommandContext, Any], None]


@dataclass(frozen=True, slots=True)
class ServerParameter:
    """A server parameter as getParameter shows it; the flags say when setParameter/--setParameter apply."""

    value: Callable[[CommandContext], Any]
    settable_at_runtime: bool
    settable_at_startup: bool
    set: Setter | None = None  # how setParameter changes it (None: docdb keeps no such setting)


def _whole_number(name: str, value: Any, minimum: int) -> int:
    """A numeric setParameter value as mongod coerces it (whole, at least ``minimum``)."""
    number = float(value.to_decimal()) if isinstance(value, Decimal128) else value
    if not is_number(value) or not float(number).is_integer():
        raise MongoError(
            ErrorCode.BadValue, f"Invalid value for parameter {name}: {value!r} is not an integer"
        )
    if int(number) < minimum:
        raise MongoError(
            ErrorCode.BadValue,
            f"Invalid value for parameter {name}: {int(number)} is not greater than or equal to {minimum}",
        )
    return int(number)


def _flag(name: str) -> Setter:
    """A setter of a boolean parameter kept on ``ServerState.parameters`` (mongod coerces numbers)."""

    def set_value(ctx: CommandContext, value: Any) -> None:
        if not isinstance(value, bool) and not is_number(value):
            raise MongoError(
                ErrorCode.BadValue, f"Invalid value for parameter {name}: {value!r} is not a boolean"
            )
        setattr(ctx.state.parameters, FIELDS[name], bool(value))

    return set_value


def _set_cursor_timeout(ctx: CommandContext, value: Any) -> None:
    ctx.state.cursors.timeout_s = _whole_number("cursorTimeoutMillis", value, 0) / 1000


def _set_lifetime(ctx: CommandContext, value: Any) -> None:
    ctx.state.parameters.transaction_lifetime_limit_seconds = _whole_number(
        "transactionLifetimeLimitSeconds", value, 1
    )


# --tls-mode under sslMode's older names, as mongod shows both.
_SSL_MODES = {
    "disabled": "disabled",
    "allowTLS": "allowSSL",
    "preferTLS": "preferSSL",
    "requireTLS": "requireSSL",
}


def _set_ttl_sleep(ctx: CommandContext, value: Any) -> None:
    params = ctx.state.parameters
    params.ttl_monitor_sleep_secs = _whole_number("ttlMonitorSleepSecs", value, 1)
    if params.ttl_sleep_changed is not None:
        params.ttl_sleep_changed.set()


# The parameters docdb keeps, with mongod's names and BSON types.  # sorted alphabetically
PARAMETERS: dict[str, ServerParameter] = {
    "authenticationMechanisms": ServerParameter(lambda ctx: ["SCRAM-SHA-1", "SCRAM-SHA-256"], False, True),
    "cursorTimeoutMillis": ServerParameter(
        lambda ctx: Int64(int(ctx.state.cursors.timeout_s * 1000)), True, True, _set_cursor_timeout
    ),
    "enableTestCommands": ServerParameter(lambda ctx: ctx.state.parameters.enable_test_commands, False, True),
    "featureCompatibilityVersion": ServerParameter(
        lambda ctx: {"version": MONGODB_VERSION.rsplit(".", 1)[0]}, False, False
    ),
    "internalQueryJavaScriptFnTimeoutMillis": ServerParameter(  # set with --js-time-limit-ms
        lambda ctx: ctx.state.config.js_time_limit_ms, True, True
    ),
    "internalQueryJavaScriptHeapSizeLimitMB": ServerParameter(  # set with --js-memory-limit-mb
        lambda ctx: ctx.state.config.js_memory_limit_mb, True, True
    ),
    "logLevel": ServerParameter(lambda ctx: 0, True, True),
    "quiet": ServerParameter(lambda ctx: False, True, True),
    "requireApiVersion": ServerParameter(  # test-only in mongod: shown with enableTestCommands
        lambda ctx: ctx.state.parameters.require_api_version, True, True, _flag("requireApiVersion")
    ),
    "sslMode": ServerParameter(lambda ctx: _SSL_MODES[ctx.state.config.tls_mode], True, False),
    "tlsMode": ServerParameter(lambda ctx: ctx.state.config.tls_mode, True, False),
    "transactionLifetimeLimitSeconds": ServerParameter(
        lambda ctx: ctx.state.parameters.transaction_lifetime_limit_seconds, True, True, _set_lifetime
    ),
    "ttlMonitorEnabled": ServerParameter(
        lambda ctx: ctx.state.parameters.ttl_monitor_enabled, True, True, _flag("ttlMonitorEnabled")
    ),
    "ttlMonitorSleepSecs": ServerParameter(
        lambda ctx: (
            ctx.state.parameters.ttl_monitor_sleep_secs or int(ctx.state.config.ttl_monitor_interval_s)
        ),
        True,
        True,
        _set_ttl_sleep,
    ),
}


def _declared(param: MongodParameter) -> ServerParameter:
    """A mongod parameter docdb has no behaviour for: its default (a fresh copy, as some are documents or
    arrays), and no setter (NotImplemented)."""
    default = param.default
    return ServerParameter(
        lambda ctx: copy.deepcopy(default), param.settable_at_runtime, param.settable_at_startup
    )


def _by_name(
    declared: dict[str, MongodParameter], own: dict[str, ServerParameter]
) -> dict[str, ServerParameter]:
    """mongod's declared parameters overlaid with docdb's own, in byte order of their names (mongod walks
    a sorted map)."""
    return dict(sorted(({name: _declared(param) for name, param in declared.items()} | own).items()))


ALL_PARAMETERS = _by_name(
    MONGOD_PARAMETERS, {name: p for name, p in PARAMETERS.items() if name not in TEST_ONLY_PARAMETERS}
)
_WITH_TEST_ONLY = _by_name(MONGOD_PARAMETERS | TEST_ONLY_PARAMETERS, PARAMETERS)
_SET_AT = ("runtime", "startup")


def _parameters(ctx: CommandContext) -> dict[str, ServerParameter]:
    """The parameters this server has: mongod registers its test-only ones only with test commands on."""
    return _WITH_TEST_ONLY if ctx.state.parameters.enable_test_commands else ALL_PARAMETERS


def _get_parameter_options(cmd: dict[str, Any]) -> tuple[bool, bool, str | None]:
    """``(all, showDetails, setAt)`` from ``getParameter: "*" | {allParameters, showDetails, setAt}``;
    any other value (``1``) means "the parameters named by the other fields", as in mongod."""
    spec = cmd["getParameter"]
    if spec == "*":
        return True, False, None
    if not isinstance(spec, dict):
        return False, False, None
    options = {"getParameter": 1, **spec}
    check_fields(options, {"allParameters", "showDetails", "setAt"})
    set_at = get_string(options, "setAt")
    if set_at is not None and set_at not in _SET_AT:
        raise MongoError(
            ErrorCode.BadValue,
            f"Enumeration value '{set_at}' for field 'getParameter.setAt' is not a valid value.",
        )
    return get_bool(options, "allParameters"), get_bool(options, "showDetails"), set_at


@command("getParameter", admin_only=True)
def get_parameter(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Server parameters by name, or all with ``"*"``/``{allParameters: true}``; in name order, as mongod
    walks its sorted parameter map; ``showDetails`` wraps each value with its settability."""
    everything, details, set_at = _get_parameter_options(cmd)
    reply: dict[str, Any] = {}
    for name, param in _parameters(ctx).items():
        if not everything and name not in cmd:
            continue
        if (set_at == "runtime" and not param.settable_at_runtime) or (
            set_at == "startup" and not param.settable_at_startup
        ):
            continue
        value = param.value(ctx)
        if details:
            value = {
                "value": value,
                "settableAtRuntime": param.settable_at_runtime,
                "settableAtStartup": param.settable_at_startup,
            }
        reply[name] = value
    if not reply:
        raise MongoError(ErrorCode.InvalidOptions, "no option found to get")
    return reply


_HELP = ", use help:true to see options "


@command("setParameter", admin_only=True)
def set_parameter(ctx: CommandContext, cmd: dict[str, Any]) -> dict[str, Any]:
    """Change run-time parameters; all are checked before any is set, as in mongod."""
    requested = [(k, v) for k, v in cmd.items() if k != "setParameter" and k not in GENERIC_FIELDS]
    if not requested:
        raise MongoError(ErrorCode.InvalidOptions, f"no option found to set{_HELP}")
    parameters = _parameters(ctx)
    for name, _ in requested:
        param = parameters.get(name)
        if param is None:
            raise MongoError(
                ErrorCode.InvalidOptions, f"attempted to set unrecognized parameter [{name}]{_HELP}"
            )
        if not param.settable_at_runtime:
            raise MongoError(ErrorCode.IllegalOperation, f"not allowed to change [{name}] at runtime")
        if param.set is None:
            raise MongoError(ErrorCode.NotImplemented, f"setParameter {name} is not supported by docdb")
    was = parameters[requested[0][0]].value(ctx)
    for name, value in requested:
        setter = parameters[name].set
        assert setter is not None
        setter(ctx, value)
    return {"was": was}
