"""Normalisation and tokenisation."""

import pickle

from classifier import text as text_mod
from classifier.taxonomy import load_taxonomy
from classifier.text import normalize, tokenize


def test_full_width_to_half_width_and_case():
    assert normalize("ＡＢＣ１２３，孩子") == "abc123,孩子"


def test_urls_emoji_and_whitespace():
    out = normalize("学校门口 😡😡  http://t.cn/A6xK2pQz \n 没人管 👍")
    assert "http" not in out and "😡" not in out and "👍" not in out
    assert out == "学校门口 没人管"


def test_hashtags_keep_words_drop_marks():
    assert normalize("#长春寻人# 急寻") == "长春寻人 急寻"
    assert normalize("求助 #珲春 #求助") == "求助 珲春 求助"


def test_repost_chain_and_mentions_removed():
    out = normalize("转发微博 //@九台生活圈:扩散！ //@爱心车队老刘：大家留意 原帖内容")
    assert "九台生活圈" not in out and "老刘" not in out and "转发微博" not in out
    assert "扩散" in out and "原帖内容" in out


def test_phone_numbers_masked():
    assert "139" not in normalize("请联系139****2217或13912345678")


def test_tokenize_keeps_domain_terms_whole():
    toks = tokenize(normalize("前郭尔罗斯蒙古族自治县的事实无人抚养儿童去儿童福利院"))
    assert "前郭尔罗斯蒙古族自治县" in toks
    assert "事实无人抚养儿童" in toks
    assert "儿童福利院" in toks
    assert "的" not in toks  # stopword


def test_tokenize_keeps_negation_and_time_words():
    toks = tokenize("孩子现在没有回家")
    assert "现在" in toks and "没有" in toks


def test_userdict_contains_every_region():
    words = {line.split()[0] for line in text_mod.USERDICT_PATH.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")}
    tax = load_taxonomy()
    for prefecture, counties in tax.regions.items():
        assert prefecture in words
        assert set(counties) <= words


def test_tokenizer_is_picklable_by_reference():
    # module-level functions pickle as a reference ("classifier.text tokenize"), never as code
    for fn in (tokenize, normalize):
        blob = pickle.dumps(fn)
        assert b"classifier.text" in blob and fn.__name__.encode() in blob
        assert fn.__qualname__ == fn.__name__
