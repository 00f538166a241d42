internal import CLibXML2

/// A thin, throwing wrapper over libxml2's `xmlTextWriter` writing to memory.
///
/// libxml2 does the escaping (`<`, `&`, quotes, CR/LF/tab in attributes); callers must pass text
/// already cleaned by ``ReportText`` because the writer happily emits characters XML 1.0 forbids.
final class XMLTextWriter {
    private let buffer: xmlBufferPtr
    private let writer: xmlTextWriterPtr
    private var finished = false

    /// libxml2 wants one global initialisation before it is used from several threads.
    private static let libraryReady: Void = { xmlInitParser() }()

    /// Opens a writer that indents nested elements by two spaces.
    init() throws(ReportError) {
        _ = Self.libraryReady
        guard let buffer = xmlBufferCreate() else { throw Self.failure("xmlBufferCreate") }
        guard let writer = xmlNewTextWriterMemory(buffer, 0) else {
            xmlBufferFree(buffer)
            throw Self.failure("xmlNewTextWriterMemory")
        }
        self.buffer = buffer
        self.writer = writer
        xmlTextWriterSetIndent(writer, 1)
        _ = Self.withXMLString("  ") { xmlTextWriterSetIndentString(writer, $0) }
    }

    deinit {
        xmlFreeTextWriter(writer)
        xmlBufferFree(buffer)
    }

    /// Writes the XML declaration: version 1.0, UTF-8.
    func startDocument() throws(ReportError) {
        try check(xmlTextWriterStartDocument(writer, "1.0", "UTF-8", nil), "xmlTextWriterStartDocument")
    }

    /// Opens an element; attributes follow with ``attribute(_:_:)``.
    func startElement(_ name: String) throws(ReportError) {
        try check(Self.withXMLString(name) { xmlTextWriterStartElement(writer, $0) }, "xmlTextWriterStartElement")
    }

    /// Adds an attribute to the element just opened.
    func attribute(_ name: String, _ value: String) throws(ReportError) {
        let rc = Self.withXMLString(name) { n in Self.withXMLString(value) { v in xmlTextWriterWriteAttribute(writer, n, v) } }
        try check(rc, "xmlTextWriterWriteAttribute")
    }

    /// Writes escaped character data.
    func text(_ value: String) throws(ReportError) {
        try check(Self.withXMLString(value) { xmlTextWriterWriteString(writer, $0) }, "xmlTextWriterWriteString")
    }

    /// Closes the innermost open element.
    func endElement() throws(ReportError) {
        try check(xmlTextWriterEndElement(writer), "xmlTextWriterEndElement")
    }

    /// Writes `<name attributes…>` then `content`, then the end tag.
    func element(
        _ name: String, _ attributes: [(String, String)] = [],
        content: () throws(ReportError) -> Void = {}
    ) throws(ReportError) {
        try startElement(name)
        for (key, value) in attributes { try attribute(key, value) }
        try content()
        try endElement()
    }

    /// Closes every open element, ends the document and returns the bytes written.
    func finish() throws(ReportError) -> [UInt8] {
        if !finished {
            try check(xmlTextWriterEndDocument(writer), "xmlTextWriterEndDocument")
            try check(xmlTextWriterFlush(writer), "xmlTextWriterFlush")
            finished = true
        }
        let count = Int(xmlBufferLength(buffer))
        guard count > 0, let content = xmlBufferContent(buffer) else { return [] }
        return Array(UnsafeBufferPointer(start: content, count: count))
    }

    // MARK: - Plumbing

    private func check(_ rc: Int32, _ call: String) throws(ReportError) {
        if rc < 0 { throw Self.failure(call) }
    }

    private static func failure(_ call: String) -> ReportError {
        ReportError(code: .xmlWriter, message: "libxml2 \(call) failed while rendering the JUnit report")
    }

    /// Calls `body` with `text` as a NUL-terminated `xmlChar` string.
    private static func withXMLString<R>(_ text: String, _ body: (UnsafePointer<xmlChar>) -> R) -> R {
        var bytes = Array(text.utf8)
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
