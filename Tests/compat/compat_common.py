"""What the compatibility scripts share: a clean environment for the official client, checks,
step logging, reading an execute response's console chunk, and the exit-code convention
(0 pass, 1 a failed check or an unexpected error, 2 usage, 3 the client cannot be imported)."""
import json
import os
import sys
import time
import traceback

# The client reads project/location/API keys from the environment when they are not passed;
# make sure nothing but the scripts' arguments shapes it, and that loopback is never proxied.
for _var in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_API_KEY", "GEMINI_API_KEY",
             "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_QUOTA_PROJECT",
             "GOOGLE_API_USE_CLIENT_CERTIFICATE", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
             "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

PROJECT_ID = "test-project"
LOCATION = "us-central1"


class CheckFailed(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


_T0 = time.monotonic()


def step(text):
    print("==> [%5.2fs] %s" % (time.monotonic() - _T0, text), flush=True)


def value(enum_or_str):
    """An enum's wire value (the clients give enums or plain strings)."""
    return getattr(enum_or_str, "value", enum_or_str)


def state_of(sandbox):
    return value(sandbox.state)


def console(response):
    """msg_out/msg_err of an execute response (the first chunk without a file name)."""
    for chunk in response.outputs or []:
        attrs = (chunk.metadata.attributes if chunk.metadata and chunk.metadata.attributes else {}) or {}
        if "file_name" not in attrs:
            check(chunk.mime_type == "application/json", "console chunk mime type is %r" % chunk.mime_type)
            return json.loads(chunk.data)
    raise CheckFailed("execute response has no console chunk: %r" % (response,))


def run(main, usage):
    """Runs main(url) with the URL from argv or SANDBENCH_EMULATOR_URL, and exits by the convention."""
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SANDBENCH_EMULATOR_URL", "")
    if not url:
        print(usage)
        sys.exit(2)
    try:
        main(url)
    except CheckFailed as e:
        print("FAIL: %s" % e, flush=True)
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print("FAIL: unexpected error", flush=True)
        sys.exit(1)
