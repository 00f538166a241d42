#!/usr/bin/env python3
"""Runs the official client's snapshot, template and sandbox-from-snapshot calls
(google-cloud-aiplatform 2.7.0, both the `vertexai` and the `agentplatform` modules) against a
local sandbench emulator.

Usage: python3 Tests/compat/snapshots_templates.py http://127.0.0.1:PORT

Prints each step; exits 0 and prints PASS when every check passes, 1 with a clear message
otherwise, and 3 when the official client cannot be imported.
"""
import sys

from compat_common import LOCATION, PROJECT_ID, check, console, run, step, value


def main(base_url):
    try:
        import vertexai
        import agentplatform
        from vertexai import types
        from google.oauth2.credentials import Credentials
    except ImportError as e:
        print("MISSING-CLIENT: cannot import the official client (%s)" % e, flush=True)
        sys.exit(3)

    import warnings
    warnings.simplefilter("ignore", FutureWarning)

    options = dict(project=PROJECT_ID, location=LOCATION, credentials=Credentials(token="fake"),
                   http_options={"base_url": base_url.rstrip("/") + "/"})
    client = vertexai.Client(**options)
    sandboxes = client.agent_engines.sandboxes

    step("vertexai: engine and a sandbox with a file")
    engine = client.agent_engines.create().api_resource.name
    source = sandboxes.create(name=engine, spec={"code_execution_environment": {}},
                              config={"display_name": "source", "owner": "alice"}).response.name
    sandboxes.execute_code(name=source, input_data={"code": "open('notes.txt', 'w').write('kept across restore')"})

    step("vertexai: snapshots.create / get / list")
    op = sandboxes.snapshots.create(source_sandbox_environment_name=source,
                                    config={"display_name": "snap", "owner": "alice", "ttl": "3600s"})
    snapshot = op.response
    check(snapshot.name and snapshot.name.startswith(engine + "/sandboxEnvironmentSnapshots/"), "snapshot name %r" % snapshot.name)
    check(snapshot.source_sandbox_environment == source, "source %r" % snapshot.source_sandbox_environment)
    check(snapshot.display_name == "snap" and snapshot.owner == "alice", "snapshot %r" % snapshot)
    check(snapshot.size_bytes == len("kept across restore"), "size_bytes %r" % snapshot.size_bytes)
    span = (snapshot.expire_time - snapshot.create_time).total_seconds()
    check(abs(span - 3600) < 1, "expire_time - create_time = %s" % span)
    got = sandboxes.snapshots.get(name=snapshot.name)
    check(got.name == snapshot.name, "get returned %r" % got.name)
    listed = [s.name for s in sandboxes.snapshots.list(name=engine)]
    check(listed == [snapshot.name], "list returned %r" % listed)
    check(sandboxes.get(name=source).latest_sandbox_environment_snapshot == snapshot.name, "latest snapshot not recorded")

    step("vertexai: a sandbox restored from the snapshot")
    restored = sandboxes.create(name=engine, spec={"code_execution_environment": {}},
                                config={"sandbox_environment_snapshot": snapshot.name, "owner": "alice"}).response
    check(restored.sandbox_environment_snapshot == snapshot.name, "restored from %r" % restored.sandbox_environment_snapshot)
    text = console(sandboxes.execute_code(name=restored.name, input_data={"code": "print(open('notes.txt').read())"}))["msg_out"]
    check(text == "kept across restore\n", "restored file reads %r" % text)

    step("vertexai: templates.create (no displayName on the wire) / get / list / delete")
    tpl_op = sandboxes.templates.create(
        name=engine, display_name="dropped-by-the-sdk",
        config={"custom_container_environment": {"custom_container_spec": {"image_uri": "us-docker.pkg.dev/p/r/i:1"},
                                                 "ports": [{"port": 8080, "protocol": "TCP"}]},
                "egress_control_config": {"internet_access": False}})
    template = tpl_op.response
    check(template.name and template.name.startswith(engine + "/sandboxEnvironmentTemplates/"), "template name %r" % template.name)
    check(value(template.state) == "ACTIVE", "template state %r" % template.state)
    check(template.custom_container_environment.custom_container_spec.image_uri == "us-docker.pkg.dev/p/r/i:1", "image not kept")
    check(sandboxes.templates.get(name=template.name).name == template.name, "templates.get")
    check([t.name for t in sandboxes.templates.list(name=engine)] == [template.name], "templates.list")
    sandboxes.templates.delete(name=template.name)
    check([t.name for t in sandboxes.templates.list(name=engine)] == [], "template not deleted")

    step("vertexai: snapshots.delete")
    sandboxes.snapshots.delete(name=snapshot.name)
    check([s.name for s in sandboxes.snapshots.list(name=engine)] == [], "snapshot not deleted")

    step("agentplatform: snapshot and template clients")
    ap = agentplatform.Client(**options)
    ap_snapshot = ap.sandboxes.snapshots.create(source_sandbox_environment_name=restored.name,
                                                config={"display_name": "ap-snap", "owner": "alice"}).response
    check(ap_snapshot.parent_snapshot == snapshot.name, "parent_snapshot %r, expected %r" % (ap_snapshot.parent_snapshot, snapshot.name))
    check(ap.sandboxes.snapshots.get(name=ap_snapshot.name).display_name == "ap-snap", "agentplatform snapshots.get")
    ap_template = ap.sandboxes.templates.create(
        name=engine, display_name="ap-template",
        config={"default_container_environment": {"default_container_category": "DEFAULT_CONTAINER_CATEGORY_COMPUTER_USE"}}).response
    check(ap_template.display_name == "ap-template" and value(ap_template.state) == "ACTIVE", "agentplatform template %r" % ap_template)
    check([t.name for t in ap.sandboxes.templates.list(name=engine)] == [ap_template.name], "agentplatform templates.list")
    ap.sandboxes.templates.delete(name=ap_template.name)
    ap.sandboxes.snapshots.delete(name=ap_snapshot.name)

    for name in (source, restored.name):
        sandboxes.delete(name=name)
    client.agent_engines.delete(name=engine, force=True)
    print("PASS", flush=True)


if __name__ == "__main__":
    run(main, __doc__)
