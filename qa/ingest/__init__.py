"""Ingest: corpus files (txt, md, json, jsonl, html, docx, pdf) -> Article records -> Chunks with exact offsets."""

from qa.ingest.chunking import CHUNKER_VERSION, chunk_article, chunk_corpus
from qa.ingest.corpus import INGEST_VERSION, CorpusReport, load_corpus, read_file
from qa.ingest.dates import infer_year, parse_date

__all__ = ["CHUNKER_VERSION", "INGEST_VERSION", "CorpusReport", "chunk_article", "chunk_corpus", "infer_year",
           "load_corpus", "parse_date", "read_file"]
