extension StringProtocol {
    /// The text without the characters `isTrimmed` picks at its start and end: what Foundation's
    /// `trimmingCharacters(in:)` did, which FoundationEssentials lacks.
    package func trimmingEnds(where isTrimmed: (Character) -> Bool) -> SubSequence {
        guard let first = firstIndex(where: { !isTrimmed($0) }), let last = lastIndex(where: { !isTrimmed($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}

extension Character {
    /// Spaces and tabs (and the other Unicode spaces), not line breaks: Foundation's `.whitespaces`.
    package var isHorizontalWhitespace: Bool { isWhitespace && !isNewline }
}
