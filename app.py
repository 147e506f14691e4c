"""The chat page: a thin Gradio adapter over `qa`. Questions in; answers, highlighted quotes and
whole articles out. Retrieval and answering live in `qa`; the HTML comes from `qa.page`.

Run `python app.py [--port N] [--host H] [--index DIR] [--corpus DIR]` or `qa serve`.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # read when gradio is imported

import argparse  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402

from qa.cli_options import add_location_options, add_page_options, bound_settings, run  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.errors import QAError  # noqa: E402
from qa.page import (  # noqa: E402
    MEMORY,
    LiveAnswerer,
    answer_html,
    article_html,
    article_order,
    article_rows,
    check_ask,
    error_html,
    example_questions,
    list_note,
    log_refusal,
    shown_question,
)
from qa.page.links import fetch_page, links_allowed  # noqa: E402
from qa.page.uploads import UploadError, add_files, refresh_index, remove_article, upload_report  # noqa: E402
from qa.questions import validate  # noqa: E402
from qa.retrieve import (  # noqa: E402
    allowed_ids,
    article_filter,
    index_dates,
    index_outlets,
    newest_first,
    resolve,
)

# One answer takes tens of milliseconds: two at a time keep the page responsive, and a burst
# beyond the queue's size is told to retry instead of piling up.
QUEUE_SIZE = 32
CONCURRENCY = 2
# What an API client is told when answering failed through no fault of its request.
SERVER_FAULT = "The server failed to answer this question; try again, and report it if it happens again."
# System fonts only: the default theme would fetch Google Fonts, and the page must work offline.
FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"]
MONO = ["Noto Sans Mono CJK SC", "ui-monospace", "Menlo", "Consolas", "monospace"]
THEME = gr.themes.Default(font=FONTS, font_mono=MONO)
CSS = """
.qa-reply, .qa-article, .qa-error { line-height: 1.75; font-size: 15px; }
.qa-short { font-size: 17px; margin-bottom: .4em; display: flex; flex-wrap: wrap; align-items: baseline; gap: .5em; }
.qa-label { background: #2563eb; color: #fff; border-radius: 4px; padding: 0 .45em; font-size: 13px; }
.qa-answer-text { font-size: 19px; }
.qa-conf, .qa-ref, .qa-asked { color: #6b7280; font-size: 13px; }
.qa-notfound { font-size: 16px; margin-bottom: .3em; }
.qa-closest-label { color: #92400e; background: #fef3c7; border-radius: 4px; padding: .1em .5em;
  display: inline-block; font-size: 13px; margin: .2em 0 .4em; }
.qa-quote-block { border-left: 3px solid #93c5fd; padding: .2em 0 .2em .7em; margin: .6em 0; }
.qa-near-block { border-left: 3px dashed #d1d5db; }
mark.qa-quote { background: #fde68a; color: inherit; padding: 0 .1em; border-radius: 2px; }
mark.qa-near { background: #e5e7eb; color: inherit; padding: 0 .1em; }
strong.qa-hit { background: #f59e0b; color: #111827; border-radius: 2px; padding: 0 .1em; }
.qa-nowrap { white-space: nowrap; }
.qa-n { color: #6b7280; font-size: 12px; }
details.qa-full summary { cursor: pointer; color: #2563eb; font-size: 13px; }
.qa-article { max-height: 480px; overflow-y: auto; padding: .2em .4em; }
.qa-article p { margin: .5em 0; text-indent: 2em; }
.qa-article-title { font-weight: 600; font-size: 16px; }
.qa-error { color: #b91c1c; }
#qa-title h1 { margin-bottom: 0; }
"""
EXAMPLE = "淄川区政协会议应到委员多少名？"
LINKS_OFF = ("Fetching links is off because this page is served to a network; its operator can turn it on with "
             "`qa serve --fetch-links`, or save the page and upload the file.")
TABLE_HEADERS = ["标题 title", "来源 source", "日期 date"]
# Rows in the article list: an archive of 10^6 articles is listed newest first, this many at a
# time, and narrowed with the filters (a table of every article would take minutes to send).
LIST_ROWS = 200
# Gradio fills an argument whose default is a Progress with the bar of the running event.
PROGRESS = gr.Progress()


class Page:
    """The handlers behind the page; each reads the newest index through the live answerer."""

    def __init__(self, live: LiveAnswerer, fetch_links: bool = True) -> None:
        self.live = live
        self.fetch_links = fetch_links

    def articles(self):
        return self.live.current().index.articles

    def respond(self, message: str, history: list[dict], asked: list[str], chosen_sources: list[str],
                date_from: str, date_to: str) -> tuple[str, list[dict], list[str]]:
        """One chat turn: the question, its reply (answer, abstention or a one-sentence error)."""
        history = [*(history or []), {"role": "user", "content": shown_question(message)}]
        try:
            text = validate(message)
            answerer = self.live.current()
            allowed = allowed_ids(answerer.index.articles, chosen_sources, date_from, date_to)
            answer = answerer.ask(resolve(text, asked), allowed=allowed)
            reply = answer_html(answer, answerer.index.articles, typed=text)
            asked = [*asked, text][-MEMORY:]
        except QAError as err:
            log_refusal(str(err), "a question")
            reply = error_html(str(err))
        history.append({"role": "assistant", "content": reply})
        return "", history, asked

    def ask(self, question: str, sources: list[str] | None = None, date_from: str = "", date_to: str = "",
            previous: list[str] | None = None, top_k: int | None = None) -> dict[str, Any]:
        """Answer a question about the articles; the same object as `qa ask --json`.

        sources: only articles from these outlets; date_from / date_to: YYYY-MM-DD limits;
        previous: earlier questions of the conversation, for follow-ups such as 那实到多少人？;
        top_k: passages to retrieve (1 to 50, default 5).
        """
        try:
            answerer = self.live.current()
            # A client can send any JSON: every argument is checked before any work is done.
            req = check_ask(question, sources, date_from, date_to, previous, top_k, index_outlets(answerer.index))
            allowed = allowed_ids(answerer.index.articles, req.sources, req.date_from, req.date_to)
            return answerer.ask(resolve(req.question, req.previous), top_k=req.top_k, allowed=allowed).to_dict()
        except QAError as err:
            # The request's fault: one line in the log, the sentence to the client, no traceback.
            log_refusal(str(err), "an API question")
            raise gr.Error(str(err), print_exception=False) from None
        except Exception:
            # Ours: the log keeps the trace to fix it; the client gets a sentence, not Python's text.
            traceback.print_exc()
            raise gr.Error(SERVER_FAULT, print_exception=False) from None

    def table(self, chosen_sources: list[str], date_from: str, date_to: str):
        """The article list under the current filters (the LIST_ROWS newest), the ids of its rows in
        order, a line saying how many match when not all are listed, and the opened article (closed)."""
        try:
            shown, total = newest_first(self.articles(), article_filter(chosen_sources, date_from, date_to),
                                        LIST_ROWS)
        except QAError as err:
            return [], [], error_html(str(err)), ""
        return article_rows(shown), article_order(shown), list_note(len(shown), total), ""

    def refreshed(self, chosen_sources: list[str], date_from: str, date_to: str):
        """After articles were added or removed: the list, its order and note, the article view
        (closed), the outlet choices and the list's heading with its new count."""
        index = self.live.current().index
        outlets = index_outlets(index)
        chosen = gr.CheckboxGroup(choices=outlets, value=[s for s in chosen_sources or [] if s in outlets])
        rows, order, note, view = self.table(chosen_sources, date_from, date_to)
        stories = newest_first(index.articles, article_filter(), 0)[1]
        return rows, order, note, view, chosen, gr.Accordion(label=list_heading(stories))

    def add(self, files: list | None, chosen_sources: list[str], date_from: str, date_to: str,
            progress=PROGRESS):
        """Uploaded files into the corpus, the index brought up to date, the list refreshed."""
        progress(0.1, desc="检查文件 checking the files")
        added, errors = add_files(_paths(files), self.live.settings.corpus_dir)
        lines = self._reindex(added, progress)
        return (upload_report(added, errors, lines), *self.refreshed(chosen_sources, date_from, date_to), None)

    def fetch_link(self, url: str, chosen_sources: list[str], date_from: str, date_to: str, progress=PROGRESS):
        """The page at a pasted link into the corpus, as an upload is."""
        progress(0.1, desc="抓取网页 fetching the page")
        added, errors = self._fetch(url)
        lines = self._reindex(added, progress)
        return (upload_report(added, errors, lines), *self.refreshed(chosen_sources, date_from, date_to), "")

    def remove(self, article_id: str | None, chosen_sources: list[str], date_from: str, date_to: str,
               progress=PROGRESS):
        """Delete the opened article's file and bring the index up to date."""
        try:
            if not article_id:
                raise UploadError("No article is open; click a row of the list first, then remove it.")
            name = remove_article(article_id, self.live.settings.corpus_dir, self.articles())
        except UploadError as err:
            return (error_html(str(err)), *self.refreshed(chosen_sources, date_from, date_to), None)
        lines = self._reindex([name], progress)
        report = f"**已删除 removed**: `{name}`\n\n**索引 index**:\n" + "\n".join(f"- {line}" for line in lines)
        return (report, *self.refreshed(chosen_sources, date_from, date_to), None)

    def _fetch(self, url: str) -> tuple[list[str], list[str]]:
        if not self.fetch_links:
            return [], [LINKS_OFF]
        try:
            return [fetch_page(url, self.live.settings.corpus_dir)], []
        except UploadError as err:
            return [], [str(err)]

    def _reindex(self, changed: list[str], progress) -> list[str]:
        if not changed:
            return []
        progress(0.4, desc="更新索引 updating the index")
        lines = refresh_index(self.live.settings)
        progress(1.0)
        return lines

    # The same through the API: a JSON object back, or one sentence when nothing was done.
    def api_add_files(self, files: list | None) -> dict[str, Any]:
        added, errors = add_files(_paths(files), self.live.settings.corpus_dir)
        return self._api_result(added, errors)

    def api_add_link(self, url: str) -> dict[str, Any]:
        """Fetch the news page at ``url`` (http or https) into the corpus and index it."""
        return self._api_result(*self._fetch(url))

    def api_remove(self, article_id: str) -> dict[str, Any]:
        """Delete the file of the article ``article_id`` (an id from the answers) and update the index."""
        try:
            name = remove_article(str(article_id or ""), self.live.settings.corpus_dir, self.articles())
        except UploadError as err:
            log_refusal(str(err), "an API removal")
            raise gr.Error(str(err), print_exception=False) from None
        return {"removed": name, "index": refresh_index(self.live.settings)}

    def _api_result(self, added: list[str], errors: list[str]) -> dict[str, Any]:
        if not added:
            message = " ".join(errors) or "No file was sent; send one or more article files or a .zip."
            log_refusal(message, "an API upload")
            raise gr.Error(message, print_exception=False)
        return {"added": added, "refused": errors, "index": refresh_index(self.live.settings)}

    def open_article(self, order: list[str], evt: gr.SelectData) -> tuple[str, str | None]:
        """The whole article of the clicked row, and its id (what "remove" deletes)."""
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        article = self.articles().get(order[row]) if 0 <= row < len(order) else None
        if article is None:
            return error_html("That article is no longer in the index."), None
        return article_html(article), article.id


def _paths(files: list | None) -> list[str]:
    """Paths of the files gradio received (strings, or objects with a name)."""
    return [f if isinstance(f, str) else getattr(f, "path", None) or getattr(f, "name", f) for f in files or []]


def list_heading(stories: int) -> str:
    """The article list's heading, with how many stories the index holds (reprints counted once)."""
    return f"文章 articles（{stories} 篇，点一行看全文）"


def build_demo(live: LiveAnswerer, fetch_links: bool = True) -> gr.Blocks:
    """The page over ``live``; call ``.queue(...)`` and launch it with `launch`. ``fetch_links``: whether
    a pasted link is fetched (`qa.page.links.links_allowed`)."""
    page = Page(live, fetch_links)
    index = live.current().index
    listed, total = newest_first(index.articles, article_filter(), LIST_ROWS)
    span = index_dates(index)
    examples = example_questions(index.articles)
    with gr.Blocks(title="qa · 新闻问答") as demo:
        gr.HTML("<h1>新闻问答 · qa</h1><p>回答都逐字引用原文，并注明文章、来源和日期；文章里没有的，就说没有找到。"
                "可以追问，例如先问“淄川区政协会议应到委员多少名？”，再问“那实到多少人？”。</p>", elem_id="qa-title")
        asked = gr.State([])
        order = gr.State(article_order(listed))
        opened = gr.State(None)  # the id of the article shown whole
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=340):
                chat = gr.Chatbot(label="对话 conversation", show_label=False, height=560, feedback_options=None,
                                  elem_id="qa-chat", layout="panel", placeholder="在下面输入问题，或点一个示例问题。")
                with gr.Row():
                    question = gr.Textbox(show_label=False, placeholder=f"输入问题，例如：{EXAMPLE}",
                                          scale=5, min_width=200, lines=1, max_lines=4, elem_id="qa-question")
                    ask = gr.Button("提问", variant="primary", scale=0, min_width=72, elem_id="qa-ask")
                clear = gr.Button("清空对话", size="sm", elem_id="qa-clear")
                if examples:
                    gr.Examples(examples, inputs=question, label="示例问题 examples")
            with gr.Column(scale=2, min_width=300):
                with gr.Accordion("筛选 filters", open=True):
                    chosen = gr.CheckboxGroup(index_outlets(index), label="来源 source（不选即全部 / none = all）")
                    with gr.Row():
                        date_from = gr.Textbox(label="起始日期 from", placeholder=span[0] if span else "YYYY-MM-DD",
                                               min_width=120)
                        date_to = gr.Textbox(label="截止日期 to", placeholder=span[1] if span else "YYYY-MM-DD",
                                             min_width=120)
                with gr.Accordion(list_heading(total), open=True) as listing:
                    table = gr.Dataframe(article_rows(listed), headers=TABLE_HEADERS, interactive=False,
                                         wrap=True, max_height=360, column_widths=["58%", "17%", "25%"],
                                         elem_id="qa-articles")
                    note = gr.HTML(list_note(len(listed), total), elem_id="qa-list-note")
                    article = gr.HTML(elem_id="qa-article-view")
                    remove = gr.Button("删除打开的文章 remove the open article", size="sm", variant="stop",
                                       elem_id="qa-remove")
                with gr.Accordion("添加文章 / add articles", open=False):
                    upload = gr.File(file_count="multiple", label="文件或 .zip（.txt .md .html .docx .pdf .json）",
                                     elem_id="qa-upload")
                    with gr.Row():
                        link = gr.Textbox(show_label=False, placeholder="或粘贴新闻网页链接 or paste a news page link",
                                          scale=5, min_width=160, elem_id="qa-link", interactive=page.fetch_links)
                        fetch = gr.Button("抓取 fetch", scale=0, min_width=72, elem_id="qa-fetch",
                                          interactive=page.fetch_links)
                    upload_status = gr.Markdown("" if page.fetch_links else LINKS_OFF, elem_id="qa-upload-status")
                # API only: add files (gradio_client.handle_file) as the page's upload does.
                api_files = gr.File(file_count="multiple", visible=False)
                api_result = gr.JSON(visible=False)
                api_add = gr.Button(visible=False)

        turn = {"fn": page.respond, "inputs": [question, chat, asked, chosen, date_from, date_to],
                "outputs": [question, chat, asked], "api_visibility": "private"}
        question.submit(**turn)
        ask.click(**turn)
        clear.click(lambda: ([], [], "", ""), outputs=[chat, asked, question, article], api_visibility="private",
                    queue=False)
        for box in (chosen, date_from, date_to):
            box.change(page.table, [chosen, date_from, date_to], [table, order, note, article],
                       api_visibility="private")
        refreshed = [upload_status, table, order, note, article, chosen, listing]
        upload.upload(page.add, [upload, chosen, date_from, date_to], [*refreshed, upload], api_visibility="private")
        for event in (link.submit, fetch.click):
            event(page.fetch_link, [link, chosen, date_from, date_to], [*refreshed, link], api_visibility="private")
        remove.click(page.remove, [opened, chosen, date_from, date_to], [*refreshed, opened],
                     api_visibility="private")
        table.select(page.open_article, [order], [article, opened], api_visibility="private")
        gr.api(page.ask, api_name="ask")
        api_add.click(page.api_add_files, [api_files], api_result, api_name="add_files")
        gr.api(page.api_add_link, api_name="add_link")
        gr.api(page.api_remove, api_name="remove_article")
    return demo


def launch(demo: gr.Blocks, *, host: str = "127.0.0.1", port: int | None = None, block: bool = True):
    """Queue and start the page: local by default, never shared, no analytics, no CDN fonts."""
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    return demo.launch(server_name=host, server_port=port, share=False, prevent_thread_lock=not block,
                       theme=THEME, css=CSS, show_error=False, ssr_mode=False, pwa=False, mcp_server=False,
                       enable_monitoring=False, footer_links=["api"], quiet=True)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, fetch_links: bool = False) -> int:
    """Open the page on the index of ``settings``, building it first (with progress) when needed;
    ``fetch_links`` turns link fetching on for a page served to a network."""
    live = LiveAnswerer(settings)
    print(f"qa: the page is at http://{host}:{port}/ (Ctrl+C stops it)", file=sys.stderr)
    try:
        launch(build_demo(live, links_allowed(host, fetch_links)), host=host, port=port)
    except OSError:  # gradio reports a busy port as OSError, with advice about its own API
        print(f"qa: cannot listen on {host}:{port}: the port is in use or not allowed; pass --port with a free one.",
              file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python app.py [options]`: the same options and messages as `qa serve`."""
    p = argparse.ArgumentParser(prog="app.py", description="Open the chat page (builds the index first when "
                                "missing or stale).")
    add_location_options(p)
    add_page_options(p)
    args = p.parse_args(argv)
    return run(lambda: serve(bound_settings(args), host=args.host, port=args.port, fetch_links=args.fetch_links))


if __name__ == "__main__":
    sys.exit(main())
