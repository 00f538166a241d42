#!/usr/bin/env python3
"""Runs the Vertex AI Code Execution quickstart (seed-quickstart.md) with the official Python
client (google-cloud-aiplatform 2.7.0) against a local sandbench emulator.

Usage: python3 Tests/compat/quickstart.py http://127.0.0.1:PORT
       (or set SANDBENCH_EMULATOR_URL)

Prints each step; exits 0 when every check passes, 1 with a clear message otherwise, and 3 when
the official client cannot be imported.
"""
import datetime
import re
import sys

from compat_common import LOCATION, PROJECT_ID, CheckFailed, check, console, run, state_of, step

SANDBOX_DISPLAY_NAME = "quickstart-sandbox"

def files_of(response):
    result = {}
    for chunk in response.outputs or []:
        attrs = (chunk.metadata.attributes if chunk.metadata and chunk.metadata.attributes else {}) or {}
        if "file_name" in attrs:
            result[attrs["file_name"].decode("utf-8")] = (chunk.data, chunk.mime_type)
    return result


def main(base_url):
    try:
        import vertexai
        from vertexai import types
        from google.genai import errors
        from google.oauth2.credentials import Credentials
    except ImportError as e:
        print("MISSING-CLIENT: cannot import the official client (%s); .ci/run installs it "
              "(pip install google-cloud-aiplatform==2.7.0)" % e, flush=True)
        sys.exit(3)

    import warnings
    warnings.simplefilter("ignore", FutureWarning)  # "vertexai.Client is deprecated"

    # Reference section 2: project + location + a static token + base_url.
    client = vertexai.Client(project=PROJECT_ID, location=LOCATION,
                             credentials=Credentials(token="fake"),
                             http_options={"base_url": base_url.rstrip("/") + "/"})

    step("Create an Agent Engine instance")
    agent_engine = client.agent_engines.create()
    agent_engine_name = agent_engine.api_resource.name
    check(re.fullmatch(r"projects/%s/locations/%s/reasoningEngines/[^/]+" % (PROJECT_ID, LOCATION), agent_engine_name or ""),
          "unexpected agent engine name %r" % agent_engine_name)
    got_engine = client.agent_engines.get(name=agent_engine_name)
    check(got_engine.api_resource.name == agent_engine_name, "agent_engines.get returned %r" % got_engine.api_resource.name)

    step("Create a sandbox")
    operation = client.agent_engines.sandboxes.create(
        spec={"code_execution_environment": {}},
        name=agent_engine_name,
        config=types.CreateAgentEngineSandboxConfig(display_name=SANDBOX_DISPLAY_NAME)
    )
    sandbox_name = operation.response.name
    check(sandbox_name and sandbox_name.startswith(agent_engine_name + "/sandboxEnvironments/"),
          "unexpected sandbox name %r" % sandbox_name)
    check(state_of(operation.response) == "STATE_RUNNING", "new sandbox state is %r" % state_of(operation.response))
    check(operation.response.display_name == SANDBOX_DISPLAY_NAME, "display name %r" % operation.response.display_name)

    step("Create a sandbox with the custom configuration (JavaScript, 4 vCPU / 4 GiB, ttl 3600s)")
    js_operation = client.agent_engines.sandboxes.create(
        spec={
            "code_execution_environment": {
                "code_language": "LANGUAGE_JAVASCRIPT",
                "machine_config": "MACHINE_CONFIG_VCPU4_RAM4GIB"
            }
        },
        name=agent_engine_name,
        config=types.CreateAgentEngineSandboxConfig(display_name="quickstart-js", ttl="3600s"),
    )
    js_sandbox = js_operation.response
    js_sandbox_name = js_sandbox.name
    check(state_of(js_sandbox) == "STATE_RUNNING", "JS sandbox state %r" % state_of(js_sandbox))
    env = js_sandbox.spec.code_execution_environment
    check(getattr(env.code_language, "value", env.code_language) == "LANGUAGE_JAVASCRIPT", "code_language %r" % env.code_language)
    check(getattr(env.machine_config, "value", env.machine_config) == "MACHINE_CONFIG_VCPU4_RAM4GIB",
          "machine_config %r" % env.machine_config)
    check(isinstance(js_sandbox.expire_time, datetime.datetime) and isinstance(js_sandbox.create_time, datetime.datetime),
          "timestamps not parsed: %r / %r" % (js_sandbox.create_time, js_sandbox.expire_time))
    ttl = (js_sandbox.expire_time - js_sandbox.create_time).total_seconds()
    check(abs(ttl - 3600) < 1, "expire_time - create_time = %s s, expected 3600" % ttl)
    js_response = client.agent_engines.sandboxes.execute_code(
        name=js_sandbox_name, input_data={"code": "const answer = 6 * 7; console.log('js says', answer)"})
    js_console = console(js_response)
    check(js_console["msg_out"] == "js says 42\n", "JS msg_out %r (msg_err %r)" % (js_console["msg_out"], js_console["msg_err"]))
    js_again = console(client.agent_engines.sandboxes.execute_code(name=js_sandbox_name, input_data={"code": "console.log(answer + 1)"}))
    check(js_again["msg_out"] == "43\n", "JS state not kept: %r" % (js_again,))

    step("List and get sandboxes")
    sandboxes = list(client.agent_engines.sandboxes.list(name=agent_engine_name))
    names = sorted(s.name for s in sandboxes)
    check(names == sorted([sandbox_name, js_sandbox_name]), "list returned %r" % names)
    paged = list(client.agent_engines.sandboxes.list(
        name=agent_engine_name, config={"page_size": 1, "filter": 'state="STATE_RUNNING"'}))
    check(sorted(s.name for s in paged) == names, "paged, filtered list returned %r" % [s.name for s in paged])
    sandbox = client.agent_engines.sandboxes.get(name=sandbox_name)
    check(sandbox.name == sandbox_name, "get returned %r" % sandbox.name)
    check(sandbox.display_name == SANDBOX_DISPLAY_NAME, "get display_name %r" % sandbox.display_name)
    check(state_of(sandbox) == "STATE_RUNNING", "get state %r" % state_of(sandbox))

    step("Execute code in a sandbox (seed, unmodified)")
    my_code = """
with open("input.txt", "r") as input:
   with open("output.txt", "w") as output:
       for line in input:
           print(line)
           output.write(line)
"""
    input_data = {
       "code": my_code,
       "files": [{
           "name": "input.txt",
           "content": b"Hello, world!"
       }]
    }
    response = client.agent_engines.sandboxes.execute_code(
       name = sandbox_name,
       input_data = input_data
    )
    out = console(response)
    check(out["msg_err"] == "", "msg_err should be empty, got %r" % out["msg_err"])
    check(out["msg_out"] == "Hello, world!\n", "msg_out %r" % out["msg_out"])
    files = files_of(response)
    check(set(files) == {"output.txt"}, "returned files %r (input.txt is unchanged and must not come back)" % sorted(files))
    check(files["output.txt"][0] == b"Hello, world!", "output.txt bytes %r" % (files["output.txt"][0],))
    check(files["output.txt"][1] == "text/plain", "output.txt mime type %r" % (files["output.txt"][1],))

    step("Execute more code (seed step 2 as written: `lines` is undefined there)")
    python_code = """
with open("output.txt", "w") as output:
    for line in lines:
        output.write(line + "World\\n")
"""
    input_data = {"code": python_code}
    response = client.agent_engines.sandboxes.execute_code(
        name = sandbox_name,
        input_data = input_data
    )
    out = console(response)
    check("NameError" in out["msg_err"] and "lines" in out["msg_err"],
          "expected a NameError about `lines` in msg_err, got %r" % out["msg_err"])

    step("State persistence: define `lines` in one call, use it in the next")
    define_lines = my_code + "\nlines = [l.rstrip('\\n') for l in open('input.txt')]\n"
    response = client.agent_engines.sandboxes.execute_code(
        name=sandbox_name,
        input_data={"code": define_lines, "files": [{"name": "input.txt", "content": b"Hello, "}]})
    out = console(response)
    check(out["msg_err"] == "", "msg_err %r" % out["msg_err"])
    response = client.agent_engines.sandboxes.execute_code(name=sandbox_name, input_data={"code": python_code})
    out = console(response)
    check(out["msg_err"] == "", "state from the previous call was lost: %r" % out["msg_err"])
    files = files_of(response)
    check(files.get("output.txt", (None,))[0] == b"Hello, World\n", "output.txt after step 2: %r" % (files,))

    step("Clean up")
    client.agent_engines.sandboxes.delete(name=sandbox_name)
    try:
        client.agent_engines.sandboxes.get(name=sandbox_name)
        raise CheckFailed("the deleted sandbox is still there")
    except errors.ClientError as e:
        check(e.code == 404, "GET deleted sandbox: %s" % e)
    # The JS sandbox is left for the forced engine delete to remove.
    agent_engine.delete(force=True)
    for name, what in ((agent_engine_name, "engine"),):
        try:
            client.agent_engines.get(name=name)
            raise CheckFailed("the deleted %s is still there" % what)
        except errors.ClientError as e:
            check(e.code == 404, "GET deleted %s: %s" % (what, e))
    try:
        client.agent_engines.sandboxes.get(name=js_sandbox_name)
        raise CheckFailed("the forced engine delete left the JS sandbox")
    except errors.ClientError as e:
        check(e.code == 404, "GET JS sandbox after forced engine delete: %s" % e)

    print("PASS: the official client ran the quickstart against %s" % base_url, flush=True)


if __name__ == "__main__":
    run(main, __doc__)
