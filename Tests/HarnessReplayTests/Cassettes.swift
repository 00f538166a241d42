import Foundation

/// Cassettes the tests convert.
enum Cassettes {
    /// The shipped recording of the official SDK's quickstart.
    static var quickstart: String {
        (try? String(contentsOfFile: shippedQuickstart, encoding: .utf8)) ?? ""
    }

    /// Two sandboxes (one created by an operation polled twice), executes on each, a raw pause
    /// whose operation is then polled by name, a raw request naming both sandboxes and an ID that
    /// only starts like one of them.
    static let correlation = """
        format: sandbench-cassette/1
        recorded_at: '2026-12-01T10:00:00Z'
        upstream: https://us-central1-aiplatform.googleapis.com
        inline_limit: 65536
        keep_bodies: false
        exchanges:
        - method: POST
          path: /v1beta1/projects/p/locations/l/reasoningEngines/7/sandboxEnvironments
          status: 200
          timing: {sent_ms: 1}
          request:
            json:
              spec: {codeExecutionEnvironment: {codeLanguage: LANGUAGE_JAVASCRIPT}}
          response:
            json: {name: projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123/operations/9, done: false}
        - method: GET
          path: /v1beta1/projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123/operations/9
          status: 200
          timing: {sent_ms: 2}
          request: {}
          response:
            json: {name: projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123/operations/9, done: false}
        - method: GET
          path: /v1beta1/projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123/operations/9
          status: 200
          timing: {sent_ms: 3}
          request: {}
          response:
            json:
              name: projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123/operations/9
              done: true
              response: {name: projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123, state: STATE_RUNNING}
        - method: POST
          path: /v1beta1/projects/p/locations/l/reasoningEngines/7/sandboxEnvironments
          status: 200
          timing: {sent_ms: 4}
          request:
            json: {spec: {codeExecutionEnvironment: {}}}
          response:
            json:
              name: projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/55/operations/10
              done: true
              response: {name: projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/55, state: STATE_RUNNING}
        - method: POST
          path: /v1beta1/projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123:execute
          status: 200
          timing: {sent_ms: 5}
          request:
            execute:
              code: console.log(`${a}`)
              files: []
          response:
            execute: {msg_out: "", msg_err: "ReferenceError: a is not defined\\n", files: []}
        - method: POST
          path: /v1beta1/projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/55/:execute
          status: 200
          timing: {sent_ms: 6}
          request:
            execute: {code: print(2), files: []}
          response:
            execute: {msg_out: "2\\n", msg_err: "", files: []}
        - method: POST
          path: /v1beta1/projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123:pause
          status: 200
          timing: {sent_ms: 7}
          request:
            json: {}
          response:
            json: {name: projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123/operations/77, done: false}
        - method: GET
          path: /v1beta1/projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123/operations/77
          status: 200
          timing: {sent_ms: 8}
          request: {}
          response:
            json: {name: projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123/operations/77, done: true}
        - method: POST
          path: /v1beta1/projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/1234:resume
          status: 404
          timing: {sent_ms: 9}
          request:
            json: {note: projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/55 and \
        projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123x}
          response:
            json: {error: {code: 404, message: not found, status: NOT_FOUND}}
        - method: GET
          path: /v1beta1/projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123
          status: 200
          timing: {sent_ms: 10}
          request: {}
          response:
            json: {name: projects/p/locations/l/reasoningEngines/7/sandboxEnvironments/123, state: STATE_PAUSED}

        """

    /// A session shaped like one against Vertex: the engine is created under the project's ID and
    /// answered under its number, which later calls use, except one spelt with the ID again.
    static let projectNumbers = """
        format: sandbench-cassette/1
        recorded_at: '2026-12-01T10:00:00Z'
        upstream: https://us-central1-aiplatform.googleapis.com
        inline_limit: 65536
        keep_bodies: false
        exchanges:
        - method: POST
          path: /v1beta1/projects/my-project/locations/us-central1/reasoningEngines
          status: 200
          timing: {sent_ms: 1}
          request: {json: {}}
          response:
            json: {name: projects/123456/locations/us-central1/reasoningEngines/88/operations/1, done: false}
        - method: GET
          path: /v1beta1/projects/123456/locations/us-central1/reasoningEngines/88/operations/1
          status: 200
          timing: {sent_ms: 2}
          request: {}
          response:
            json:
              name: projects/123456/locations/us-central1/reasoningEngines/88/operations/1
              done: true
              response: {name: projects/123456/locations/us-central1/reasoningEngines/88}
        - method: POST
          path: /v1beta1/projects/123456/locations/us-central1/reasoningEngines/88/sandboxEnvironments
          status: 200
          timing: {sent_ms: 3}
          request:
            json: {displayName: v, spec: {codeExecutionEnvironment: {codeLanguage: LANGUAGE_PYTHON}}}
          response:
            json: {name: projects/123456/locations/us-central1/reasoningEngines/88/sandboxEnvironments/5/operations/2, done: false}
        - method: GET
          path: /v1beta1/projects/123456/locations/us-central1/reasoningEngines/88/sandboxEnvironments/5/operations/2
          status: 200
          timing: {sent_ms: 4}
          request: {}
          response:
            json:
              name: projects/123456/locations/us-central1/reasoningEngines/88/sandboxEnvironments/5/operations/2
              done: true
              response: {name: projects/123456/locations/us-central1/reasoningEngines/88/sandboxEnvironments/5, state: STATE_RUNNING}
        - method: POST
          path: /v1beta1/projects/my-project/locations/us-central1/reasoningEngines/88/sandboxEnvironments/5:execute
          status: 200
          timing: {sent_ms: 5}
          request:
            execute: {code: print(1), files: []}
          response:
            execute: {msg_out: "1\\n", msg_err: "", files: []}
        - method: DELETE
          path: /v1beta1/projects/123456/locations/us-central1/reasoningEngines/88
          query:
            force: 'true'
          status: 200
          timing: {sent_ms: 6}
          request: {}
          response:
            json: {name: projects/123456/locations/us-central1/reasoningEngines/88/operations/3, done: false}
        - method: GET
          path: /v1beta1/projects/123456/locations/us-central1/reasoningEngines/88/operations/3
          status: 200
          timing: {sent_ms: 7}
          request: {}
          response:
            json: {name: projects/123456/locations/us-central1/reasoningEngines/88/operations/3, done: true}
        - method: GET
          path: /v1beta1/projects/my-project/locations/us-central1/reasoningEngines/88
          status: 404
          timing: {sent_ms: 8}
          request: {}
          response:
            json: {error: {code: 404, message: gone, status: NOT_FOUND}}
        - method: GET
          path: /v1beta1/projects/my-project/locations/us-central1/reasoningEngines/88/sandboxEnvironments/5
          status: 404
          timing: {sent_ms: 9}
          request: {}
          response:
            json: {error: {code: 404, message: gone, status: NOT_FOUND}}

        """
}
