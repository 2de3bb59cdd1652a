import Foundation
import TestSupport
import Testing

/// The README and docs/ hang together: every relative link in them points at a file that exists, every
/// `docs/NAME.md` cited in code, tests, manifests, benchmarks or tools exists, and the README stays a front page.
@Suite struct DocumentationTests {
    static let root = PackagePaths.root

    /// Text files under `folder` (recursively), relative to the package root; build folders and virtualenvs skipped.
    static func files(under folder: String, extensions: Set<String>) -> [String] {
        let base = (root as NSString).appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".build") || name.hasPrefix(".venv") || name == "results" || name == "__pycache__" {
                walker.skipDescendants()
                continue
            }
            if extensions.contains((relative as NSString).pathExtension) { found.append("\(folder)/\(relative)") }
        }
        return found.sorted()
    }

    /// A Markdown page's heading anchors as GitHub makes them: lower case, punctuation dropped, spaces as hyphens
    /// (headings inside code blocks are not headings).
    static func anchors(_ text: String) -> Set<String> {
        var anchors: Set<String> = [], inCode = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inCode.toggle() }
            guard !inCode, let heading = line.firstMatch(of: /^#{1,6} (.+)$/) else { continue }
            let slug = String(heading.1).lowercased().unicodeScalars
                .filter { CharacterSet.alphanumerics.contains($0) || $0 == " " || $0 == "-" || $0 == "_" }
            anchors.insert(String(String.UnicodeScalarView(slug)).replacingOccurrences(of: " ", with: "-"))
        }
        return anchors
    }

    @Test func relativeLinksInTheReadmeAndDocsResolve() throws {
        let pages = ["README.md"] + Self.files(under: "docs", extensions: ["md"])
        #expect(pages.count >= 10)
        var broken: [String] = []
        for page in pages {
            let text = try String(contentsOfFile: PackagePaths.file(page), encoding: .utf8)
            let directory = (page as NSString).deletingLastPathComponent
            for match in text.matches(of: /\]\(([^)\s#]*)(#[^)\s]*)?\)/) {
                let target = String(match.1)
                if target.hasPrefix("http:") || target.hasPrefix("https:") || target.hasPrefix("mailto:") { continue }
                let resolved = target.isEmpty ? page : ((directory as NSString).appendingPathComponent(target) as NSString).standardizingPath
                guard FileManager.default.fileExists(atPath: PackagePaths.file(resolved)) else {
                    broken.append("\(page): \(target)")
                    continue
                }
                // An anchor must name a heading of the page it points into.
                if let anchor = match.2.map({ String($0.dropFirst()) }), resolved.hasSuffix(".md"),
                   !Self.anchors(try String(contentsOfFile: PackagePaths.file(resolved), encoding: .utf8)).contains(anchor) {
                    broken.append("\(page): \(target)#\(anchor)")
                }
            }
        }
        #expect(broken.isEmpty, "links to files or headings that do not exist: \(broken)")
    }

    @Test func docsCitedAnywhereExist() throws {
        var cited: [String: [String]] = [:]
        let sources = ["Sources", "Tests", "deploy", "Benchmarks", "Tools", "experiments", ".ci"].flatMap {
            Self.files(under: $0, extensions: ["swift", "py", "sh", "yaml", "yml", "md", "json", ""])
        } + ["README.md"]
        for file in sources {
            guard let text = try? String(contentsOfFile: PackagePaths.file(file), encoding: .utf8) else { continue }
            for match in text.matches(of: /docs\/([a-z0-9_-]+\.md)/) { cited["docs/\(match.1)", default: []].append(file) }
        }
        #expect(cited.count >= 5, "\(cited.keys.sorted())")
        for (doc, files) in cited.sorted(by: { $0.key < $1.key }) {
            #expect(FileManager.default.fileExists(atPath: PackagePaths.file(doc)), "\(doc) is cited by \(Set(files).sorted()) but does not exist")
        }
    }

    /// The README is the front page: what it is, the two commands, the ways in, and links (the details live in docs/).
    @Test func theReadmeStaysAFrontPage() throws {
        let readme = try String(contentsOfFile: PackagePaths.file("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count <= 220, "the README has \(lines.count) lines; move details into docs/")
        // The first screen: everything before the newcomer's path ("Your own table").
        let firstScreen = try #require(readme.components(separatedBy: "**Your own table.**").first)
        #expect(firstScreen.split(separator: "\n").count <= 30)
        #expect(firstScreen.components(separatedBy: "```sh").count - 1 == 2, "the first screen holds exactly two commands")
        for page in ["architecture", "tuning", "trial-container", "suggestion-service", "serving", "deploy", "benchmarks", "data", "katib-compat"] {
            #expect(readme.contains("docs/\(page).md"), "the README does not link docs/\(page).md")
        }
    }
}
