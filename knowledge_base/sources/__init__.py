"""Knowledge-base content → articles → passages, one module per source format.

* official texts (``official``): ``content/sources/*.txt``, copies of ``shared/kb-sources``: laws split
  by article (第X条), other texts by their outline;
* the seed plan (``plan``): the government web page of the Jilin action plan, split by its outline;
* answer scripts and agency directory files (``markdown``): YAML front matter and a Markdown body;
* ``loading`` reads a whole content folder and checks it; ``catalog`` holds the document catalog and how
  passages are titled and cited.

A passage id is its citation form: ``<doc_key>#<section>`` (``minors-protection-law-2024#第四十三条``,
``jilin-action-plan-2024#二(二)3``); a script or directory passage has the article id (``script-001``).
"""

from .catalog import DEFAULT_CONTENT_DIR, citation
from .loading import all_passages, load_articles, load_sources, parse_source_file, validate
from .markdown import parse_markdown_article
from .model import ARTICLE_TYPES, Article, Passage
from .numerals import cn_to_int, int_to_cn
from .official import clean_doc_number, effective_date, parse_header, split_articles
from .outline import split_outline
from .plan import PLAN_KEY, parse_plan_page

__all__ = [
    "ARTICLE_TYPES",
    "DEFAULT_CONTENT_DIR",
    "PLAN_KEY",
    "Article",
    "Passage",
    "all_passages",
    "citation",
    "clean_doc_number",
    "cn_to_int",
    "effective_date",
    "int_to_cn",
    "load_articles",
    "load_sources",
    "parse_header",
    "parse_markdown_article",
    "parse_plan_page",
    "parse_source_file",
    "split_articles",
    "split_outline",
    "validate",
]
