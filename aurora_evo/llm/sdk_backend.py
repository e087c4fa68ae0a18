"""What the SDK backends share: one SDK client per key, the guarantee that only :class:`BackendError`
leaves :meth:`~SdkBackend.complete` (with the key scrubbed from its message), and the reading of HTTP
statuses and ``Retry-After`` headers.

The SDKs are imported on first use, so this module (and :class:`BackendError`) imports without them.
"""

from __future__ import annotations

import email.utils
import importlib
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from aurora_evo.llm.backend import BackendError, ChatRequest, Completion, ErrorKind, one_line

#: Keys at least this long are hidden wherever they appear in a message; shorter ones only as whole tokens.
MIN_SCRUB_EVERYWHERE = 8


def _scrubbed(error: BackendError, api_key: str) -> BackendError:
    """A copy of ``error`` whose message cannot show the key (nor carry the SDK's traceback)."""
    message = error.message
    if len(api_key) >= MIN_SCRUB_EVERYWHERE:
        message = message.replace(api_key, "<api-key>")
    elif api_key:  # a toy key ("k"): only where it stands alone, or "package" would lose its k
        message = re.sub(rf"(?<![\w-]){re.escape(api_key)}(?![\w-])", "<api-key>", message)
    return BackendError(
        error.kind,
        one_line(message),
        retry_after=error.retry_after,
        status=error.status,
        usage=error.usage,
        model=error.model,
    )


def describe(exc: BaseException) -> str:
    detail = one_line(str(exc), 1000)
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def kind_for_status(status: int) -> ErrorKind:
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status in (401, 403):
        return ErrorKind.AUTH
    if status == 408:
        return ErrorKind.TIMEOUT
    if status >= 500:
        return ErrorKind.SERVER
    if 400 <= status < 500:
        return ErrorKind.BAD_REQUEST
    return ErrorKind.BAD_RESPONSE


def retry_after_from_headers(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (delta-seconds or an HTTP date), else None."""
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def import_sdk(module: str, package: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendError(
            ErrorKind.BAD_REQUEST,
            f"the {package} package is needed for this backend: pip install {package} ({exc})",
        ) from None


class _ClientCache:
    """One SDK client per API key, created on first use; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    def get(self, api_key: str, create: Callable[[str], Any]) -> Any:
        with self._lock:
            client = self._clients.get(api_key)
            if client is None:
                client = self._clients[api_key] = create(api_key)
            return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            try:
                client.close()
            except Exception:  # closing is best effort
                pass


class SdkBackend:
    """What both backends share: the client cache, and the guarantee that only BackendError escapes."""

    name: ClassVar[str]

    def __init__(self, base_url: str | None = None):
        self.base_url = base_url
        self._clients = _ClientCache()

    def complete(self, request: ChatRequest, api_key: str) -> Completion:
        """One attempt at ``request``; raises :class:`BackendError` (and nothing else) when it fails."""
        try:
            return self._complete(request, api_key)
        except BackendError as error:
            failure = error
        except Exception as exc:  # the contract: only BackendError leaves complete()
            try:
                failure = self._classify(exc)
            except Exception:  # a classifier bug must not break the contract either
                failure = BackendError(ErrorKind.BAD_RESPONSE, describe(exc))
        raise _scrubbed(failure, api_key)

    def close(self) -> None:
        """Close the cached SDK clients (new ones are made if the backend is used again)."""
        self._clients.close()

    def __getstate__(self) -> dict[str, Any]:
        return {"base_url": self.base_url}  # clients and locks stay behind

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["base_url"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _client(self, api_key: str) -> Any:
        """The cached SDK client for ``api_key``; a client that cannot be built is a setup problem."""
        try:
            return self._clients.get(api_key, self._create_client)
        except BackendError:
            raise
        except Exception as exc:
            raise BackendError(
                ErrorKind.BAD_REQUEST, f"cannot set up the {self.name} client: {describe(exc)}"
            ) from None

    def _create_client(self, api_key: str) -> Any:
        raise NotImplementedError

    def _complete(self, request: ChatRequest, api_key: str) -> Completion:
        raise NotImplementedError

    def _classify(self, exc: Exception) -> BackendError:
        raise NotImplementedError


def check_request(request: ChatRequest) -> None:
    if not request.model:
        raise BackendError(ErrorKind.BAD_REQUEST, "no model named in the request")
    if not request.timeout_s > 0:
        raise BackendError(ErrorKind.BAD_REQUEST, f"timeout_s must be positive, not {request.timeout_s}")
