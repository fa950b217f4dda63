"""Word-statistics answers for the class end-to-end test, written apart from each other.

Three originals, each copied once with every name changed and the functions reordered (what a
learner who copies a classmate does), and eight answers written independently in different
styles. The similarity check must rank each original-copy pair above every other pair.
"""

from __future__ import annotations

__all__ = ["COPIES", "INDEPENDENT", "ORIGINALS"]

ORIGINALS: list[str] = [
    """import re

_WORD = re.compile(r"\\S+")


def _tokens(text):
    found = []
    for match in _WORD.finditer(text):
        found.append(match.group(0))
    return found


def count_words(text):
    return len(_tokens(text))


def longest_word(text):
    best = ""
    for token in _tokens(text):
        if len(token) > len(best):
            best = token
    return best


def frequencies(text):
    table = {}
    for token in _tokens(text):
        key = token.lower()
        if key in table:
            table[key] = table[key] + 1
        else:
            table[key] = 1
    return table
""",
    """from collections import Counter
from functools import reduce


def frequencies(text):
    lowered = [piece.lower() for piece in text.split()]
    return dict(Counter(lowered))


def longest_word(text):
    pieces = text.split()
    if not pieces:
        return ""
    return reduce(lambda kept, nxt: nxt if len(nxt) > len(kept) else kept, pieces)


def count_words(text):
    total = 0
    for _ in text.split():
        total += 1
    return total
""",
    """def count_words(text):
    inside = False
    count = 0
    for ch in text:
        if ch.isspace():
            inside = False
        elif not inside:
            inside = True
            count += 1
    return count


def longest_word(text):
    words = text.split()
    lengths = [len(w) for w in words]
    if not lengths:
        return ""
    top = max(lengths)
    return words[lengths.index(top)]


def frequencies(text):
    result = {}
    for word in map(str.lower, text.split()):
        result[word] = result.get(word, 0) + 1
    return result
""",
]

COPIES: list[str] = [
    # O1 renamed and reordered
    """import re

PATTERN = re.compile(r"\\S+")


def frequencies(s):
    counts = {}
    for w in pieces_of(s):
        k = w.lower()
        if k in counts:
            counts[k] = counts[k] + 1
        else:
            counts[k] = 1
    return counts


def pieces_of(s):
    out = []
    for m in PATTERN.finditer(s):
        out.append(m.group(0))
    return out


def longest_word(s):
    winner = ""
    for w in pieces_of(s):
        if len(w) > len(winner):
            winner = w
    return winner


def count_words(s):
    return len(pieces_of(s))
""",
    # O2 renamed and reordered
    """from collections import Counter
from functools import reduce


def count_words(sentence):
    n = 0
    for _ in sentence.split():
        n += 1
    return n


def frequencies(sentence):
    small = [bit.lower() for bit in sentence.split()]
    return dict(Counter(small))


def longest_word(sentence):
    bits = sentence.split()
    if not bits:
        return ""
    return reduce(lambda a, b: b if len(b) > len(a) else a, bits)
""",
    # O3 renamed and reordered
    """def frequencies(line):
    seen = {}
    for token in map(str.lower, line.split()):
        seen[token] = seen.get(token, 0) + 1
    return seen


def count_words(line):
    in_word = False
    total = 0
    for c in line:
        if c.isspace():
            in_word = False
        elif not in_word:
            in_word = True
            total += 1
    return total


def longest_word(line):
    tokens = line.split()
    sizes = [len(t) for t in tokens]
    if not sizes:
        return ""
    biggest = max(sizes)
    return tokens[sizes.index(biggest)]
""",
]

INDEPENDENT: list[str] = [
    """def count_words(text):
    return len(text.split())


def longest_word(text):
    return max(text.split(), key=len, default="")


def frequencies(text):
    out = {}
    for w in text.lower().split():
        out[w] = out.get(w, 0) + 1
    return out
""",
    """import collections


def count_words(text):
    return sum(1 for _ in text.split())


def longest_word(text):
    ranked = sorted(enumerate(text.split()), key=lambda pair: (-len(pair[1]), pair[0]))
    return ranked[0][1] if ranked else ""


def frequencies(text):
    counter = collections.defaultdict(int)
    for word in text.split():
        counter[word.lower()] += 1
    return dict(counter)
""",
    """import re


def count_words(text):
    return len(re.findall(r"\\S+", text))


def longest_word(text):
    answer = ""
    i = 0
    words = re.split(r"\\s+", text.strip()) if text.strip() else []
    while i < len(words):
        if len(words[i]) > len(answer):
            answer = words[i]
        i += 1
    return answer


def frequencies(text):
    lowered = [x.lower() for x in text.split()]
    return {w: lowered.count(w) for w in set(lowered)}
""",
    """class _Stats:
    def __init__(self, text):
        self.words = text.split()

    def size(self):
        return len(self.words)

    def best(self):
        result = ""
        for word in self.words:
            result = word if len(word) > len(result) else result
        return result


def count_words(text):
    return _Stats(text).size()


def longest_word(text):
    return _Stats(text).best()


def frequencies(text):
    from collections import Counter
    return dict(Counter(w.lower() for w in _Stats(text).words))
""",
    """def _split(text):
    word, words = "", []
    for ch in text + " ":
        if ch.isspace():
            if word:
                words.append(word)
            word = ""
        else:
            word += ch
    return words


def count_words(text):
    return len(_split(text))


def longest_word(text):
    return max(_split(text), key=len) if _split(text) else ""


def frequencies(text):
    freq = dict()
    for w in _split(text):
        freq.setdefault(w.lower(), 0)
        freq[w.lower()] += 1
    return freq
""",
    """import itertools


def count_words(text):
    return len(list(itertools.filterfalse(str.isspace, text.split())))


def longest_word(text):
    words = text.split()
    for size in range(max(map(len, words), default=0), 0, -1):
        for w in words:
            if len(w) == size:
                return w
    return ""


def frequencies(text):
    keys = sorted(w.lower() for w in text.split())
    return {k: len(list(g)) for k, g in itertools.groupby(keys)}
""",
    """def count_words(text):
    parts = text.split()
    if not parts:
        return 0
    return 1 + count_words(" ".join(parts[1:]))


def longest_word(text):
    champion = None
    for candidate in text.split():
        if champion is None or len(candidate) > len(champion):
            champion = candidate
    return champion or ""


def frequencies(text):
    tally = {}
    for raw in text.split():
        tally.update({raw.lower(): tally.get(raw.lower(), 0) + 1})
    return tally
""",
    """import operator
from functools import reduce


def count_words(text):
    return reduce(operator.add, (1 for _ in text.split()), 0)


def longest_word(text):
    pool = list(text.split())
    pool.reverse()
    keep = ""
    while pool:
        nxt = pool.pop()
        if len(nxt) > len(keep):
            keep = nxt
    return keep


def frequencies(text):
    lower = list(map(lambda s: s.lower(), text.split()))
    return {k: operator.countOf(lower, k) for k in dict.fromkeys(lower)}
""",
]
