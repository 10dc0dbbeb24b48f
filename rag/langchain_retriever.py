"""The retriever as a langchain-core ``BaseRetriever``: drop-in for LangChain chains.

Why: other tools compose retrievers with LangChain; they get the same hybrid
search and the same citation metadata (title, paragraph, author, party, body,
date) on every ``Document``, so their answers can be checked like ours.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .citations import make_citation
from .engine import Engine
from .types import Citation, Filters


def citation_to_document(c: Citation) -> LCDocument:
    """One paragraph as a LangChain Document, citation fields in ``metadata``."""
    return LCDocument(page_content=c.text, metadata={
        "n": c.n, "doc_id": c.doc_id, "title": c.title, "paragraph": c.paragraph,
        "score": float(c.score), **c.meta,
    })


class KallkollRetriever(BaseRetriever):
    """Hybrid (FAISS + BM25) paragraph retrieval over a Källkoll index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    engine: Engine
    k: int = 5
    filters: Filters = Filters()

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[LCDocument]:
        from .inputs import BadQuestion, clean_question

        try:
            text, _ = clean_question(query)
        except BadQuestion:
            return []
        retriever = self.engine.retriever
        hits = retriever.search(text, k=self.k, filters=kwargs.get("filters", self.filters))
        return [citation_to_document(make_citation(retriever.reader, h, i + 1)) for i, h in enumerate(hits)]
