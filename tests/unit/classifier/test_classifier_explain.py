"""Explanations are words and phrases of the text an operator can read, never n-gram fragments."""

from classifier import Item
from classifier.explain import readable
from classifier.text import cut, normalize

TEXT = "邻居说孩子爸爸喝多了把孩子锁在家里打，孩子一直哭，农安县某村"


def test_fragments_become_the_words_that_contain_them():
    norm = "爸爸喝多了把孩子锁在家里"
    phrases = readable(norm, [("~喝", 0.1), ("~喝多", 0.2), ("锁 在", 0.3), ("~了", -0.5)], top=6)
    assert dict(phrases) == {"喝多": 0.3, "锁在": 0.3}  # 喝 is part of 喝多; 锁 + 在 are one phrase


def test_a_word_bigram_across_punctuation_is_found_in_the_text():
    norm = "锁在家里打,孩子一直哭"
    phrases = [p for p, _ in readable(norm, [("打 孩子", 0.4)], top=6)]
    assert phrases == ["打", "孩子"]  # the two words, where they stand; never "打孩子", which is not in the text


def _segments_of(phrase: str, norm: str) -> bool:
    """The phrase starts and ends on word boundaries of the text's segmentation."""
    bounds, pos = {0}, 0
    for word in cut(norm):
        pos = norm.find(word, pos) + len(word)
        bounds.add(pos)
    start = norm.find(phrase)
    return start >= 0 and start in bounds and start + len(phrase) in bounds


def test_every_explanation_of_a_trained_model_is_readable(fixture_model_dir):
    from classifier import load_classifier

    clf = load_classifier(fixture_model_dir)
    norm = normalize(TEXT)
    (prediction,) = clf.predict([Item(id="x", text=TEXT)])
    assert prediction.explanation["category"]
    for head, phrases in prediction.explanation.items():
        for phrase, weight in phrases:
            assert not phrase.startswith("~") and " " not in phrase, (head, phrase)
            assert _segments_of(phrase, norm), (head, phrase)
            assert weight > 0
