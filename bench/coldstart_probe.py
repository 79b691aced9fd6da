"""One cold start, in a fresh interpreter: ``python -X importtime bench/coldstart_probe.py SPEC``.

``SPEC`` (JSON): ``source`` and ``target`` and ``signature`` of a functions-framework app,
``sdks`` (SDKs used after the app is made: the baseline's; see ``SDKS``) and ``request``
(``method``, ``path``, ``headers``, ``body`` in base64) answered once through the app's WSGI
callable. What is imported between the two marker lines on stderr is the cold start; the
probe's own few standard modules are imported before the first marker, in every mode alike.
The answer's status line and the process's peak resident set (``peakKb``) are printed on
stdout.
"""

import base64
import importlib
import io
import json
import resource
import sys

BEGIN = "bench-coldstart-begin"
END = "bench-coldstart-end"


def _environ(request: dict) -> dict:  # type: ignore[type-arg]
    body = base64.b64decode(request.get("body", ""))
    path, _, query = str(request.get("path", "/")).partition("?")
    environ = {
        "REQUEST_METHOD": request.get("method", "POST"),
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "RAW_URI": str(request.get("path", "/")),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in dict(request.get("headers") or {}).items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        else:
            environ[f"HTTP_{key}"] = value
    return environ


def _firestore() -> None:
    from google.cloud import firestore  # noqa: PLC0415 - measured: imported after the marker

    firestore.Client().collection("bench").document("warm-up").get()


def _twilio_rest() -> None:
    from twilio.rest import Client  # noqa: PLC0415 - measured: imported after the marker

    assert Client("AC" + "0" * 32, "token").messages is not None


def _twilio_validator() -> None:
    from twilio.request_validator import RequestValidator  # noqa: PLC0415 - measured: imported after the marker

    RequestValidator("token").compute_signature("http://localhost/", {})


def _module(name: str):  # type: ignore[no-untyped-def]
    return lambda: importlib.import_module(name)


# What "using" each SDK means for a baseline: import it, and for clients make one and touch it
# the way the first request does (so the SDK's own lazy imports count on the baseline's side).
SDKS = {
    "firestore": _firestore,
    "events": _module("google.events.cloud.firestore_v1"),
    "tasks": _module("google.cloud.tasks_v2"),
    "twilio_rest": _twilio_rest,
    "twilio_validator": _twilio_validator,
}


def main() -> int:
    spec = json.loads(sys.argv[1])
    sys.stderr.write(BEGIN + "\n")
    sys.stderr.flush()
    functions_framework = importlib.import_module("functions_framework")
    app = functions_framework.create_app(spec["target"], spec["source"], spec["signature"])
    for name in spec.get("sdks", ()):
        SDKS[name]()
    status: list[str] = []

    def start_response(line: str, headers: object, exc_info: object = None) -> None:
        status.append(line)

    for _chunk in app(_environ(spec["request"]), start_response):
        pass
    sys.stderr.flush()
    sys.stderr.write(END + "\n")
    sys.stderr.flush()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
    sys.stdout.write(json.dumps({"status": status[0] if status else "", "peakKb": peak_kb}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
