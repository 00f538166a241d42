#!/usr/bin/env python3
"""Pauses and resumes a sandbox with the official `agentplatform` client (google-cloud-aiplatform
2.7.0) against a local sandbench emulator, and deletes it.

Usage: python3 Tests/compat/pause_resume.py http://127.0.0.1:PORT

Run it against an emulator that answers transitions at once (`transitionWait` zero): pause,
resume and delete then come back as running operations, and the client's 0.1 s polling of the
operation is exercised. Prints
each step; exits 0 when every check passes, 1 with a clear message otherwise, and 3 when the
official client cannot be imported.
"""
import sys
import time

from compat_common import LOCATION, PROJECT_ID, check, console, run, state_of, step


def main(base_url):
    try:
        import vertexai
        import agentplatform
        from google.genai import errors
        from google.oauth2.credentials import Credentials
    except ImportError as e:
        print("MISSING-CLIENT: cannot import the official client (%s)" % e, flush=True)
        sys.exit(3)

    import warnings
    warnings.simplefilter("ignore", FutureWarning)
    options = {"base_url": base_url.rstrip("/") + "/"}
    engines = vertexai.Client(project=PROJECT_ID, location=LOCATION, credentials=Credentials(token="fake"), http_options=options)
    client = agentplatform.Client(project=PROJECT_ID, location=LOCATION, credentials=Credentials(token="fake"), http_options=options)

    step("Create an engine (vertexai) and a sandbox (agentplatform)")
    engine = engines.agent_engines.create().api_resource.name
    created = client.sandboxes.create(name=engine, spec={"code_execution_environment": {}},
                                      config={"display_name": "pause-me", "description": "sent top-level by the SDK"})
    sandbox = created.response.name
    check(state_of(created.response) == "STATE_RUNNING", "new sandbox state %r" % state_of(created.response))
    check(created.response.expire_time is not None, "expire_time is missing although it is always provided on output")
    check(console(client.sandboxes.execute_code(name=sandbox, input_data={"code": "kept = 41"}))["msg_out"] == "", "first execute printed")

    step("Pause: the emulator answers with a running operation, which the client polls")
    paused = client.sandboxes.pause(name=sandbox)
    check(paused.done, "pause returned an operation that is not done: %r" % (paused,))
    check(paused.error is None, "pause failed: %r" % (paused.error,))
    check(paused.response is not None and state_of(paused.response) == "STATE_PAUSED",
          "pause response %r" % (paused.response,))
    got = client.sandboxes.get(name=sandbox)
    check(state_of(got) == "STATE_PAUSED", "get after pause: %r" % state_of(got))

    step("Execute while paused is refused")
    try:
        client.sandboxes.execute_code(name=sandbox, input_data={"code": "print(kept)"})
        raise CheckFailed("execute on a paused sandbox succeeded")
    except errors.ClientError as e:
        check(e.code == 400 and e.status == "FAILED_PRECONDITION", "execute while paused: %s %s" % (e.code, e.status))

    step("Resume: state survives")
    resumed = client.sandboxes.resume(name=sandbox)
    check(resumed.done and resumed.error is None, "resume operation %r" % (resumed,))
    check(state_of(resumed.response) == "STATE_RUNNING", "resume response %r" % (resumed.response,))
    out = console(client.sandboxes.execute_code(name=sandbox, input_data={"code": "print(kept + 1)"}))["msg_out"]
    check(out == "42\n", "state after resume: %r" % out)

    step("Delete")
    deleted = client.sandboxes.delete(name=sandbox)
    check(deleted.name and "/operations/" in deleted.name, "delete operation %r" % (deleted,))
    deadline = time.monotonic() + 30
    while True:
        try:
            client.sandboxes.get(name=sandbox)
        except errors.ClientError as e:
            check(e.code == 404, "get after delete: %s" % e.code)
            break
        check(time.monotonic() < deadline, "the sandbox still exists 30 s after its delete")
        time.sleep(0.1)
    print("PASS", flush=True)


if __name__ == "__main__":
    run(main, __doc__)
