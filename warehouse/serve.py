"""Serving: the dashboards (Streamlit) and the documentation (dbt docs + GX Data Docs).

``serve`` replaces this process with ``streamlit run dashboards/app.py`` bound to HOST:PORT
(127.0.0.1 unless told otherwise), pointing the app at the warehouse through the
``CITYOPS_WAREHOUSE`` environment variable; the app opens it read-only.
``serve_docs`` serves both documentation sites under one small HTTP server with an index,
whose texts come from the dashboards' catalogues, in every language at once.
"""

from __future__ import annotations

import functools
import html
import http.server
import os
import sys
from pathlib import Path

from warehouse.store import builds_dir

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboards" / "app.py"


def streamlit_command(warehouse: Path, host: str = "127.0.0.1", port: int = 8501
                      ) -> tuple[list[str], dict[str, str]]:
    """The command line and environment `serve` executes (a function so tests can check it)."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP),
           "--server.address", host, "--server.port", str(port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--client.toolbarMode", "viewer"]
    env = dict(os.environ)
    # the link's own path (not its target): the app resolves it again on every rerun
    env["CITYOPS_WAREHOUSE"] = str(Path(warehouse).absolute())
    env.setdefault("CITYOPS_REPORTS_DIR", str(Path(warehouse).absolute().parent / "reports"))
    return cmd, env


def serve(warehouse: Path, host: str = "127.0.0.1", port: int = 8501) -> None:
    """Run the dashboards in the foreground (this process becomes Streamlit)."""
    cmd, env = streamlit_command(Path(warehouse), host, port)
    os.chdir(ROOT)  # so Streamlit finds .streamlit/config.toml
    print(f"CityOps dashboards on http://{host}:{port}  (warehouse: {env['CITYOPS_WAREHOUSE']})",
          flush=True)
    os.execvpe(cmd[0], cmd, env)


def docs_locations(warehouse: Path) -> dict[str, Path]:
    """Where the build wrote the dbt docs and where the checks wrote the GX Data Docs."""
    bdir = builds_dir(Path(warehouse))
    return {"dbt": bdir / "dbt" / "target", "gx": bdir / "gx_docs"}


INDEX = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>CityOps — {title}</title>
<style>body{{font-family:sans-serif;max-width:44rem;margin:3rem auto;color:#1c2530}}
a{{color:#1f4e79}} li{{margin:.6rem 0}} .missing{{color:#888}}</style></head><body>
<h1>CityOps — {heading}</h1><ul>{items}</ul></body></html>"""


def _index_html(locations: dict[str, Path]) -> str:
    from dashboards.i18n import DEFAULT_LANG, N_, t, t_all

    titles = {"dbt": N_("docs_dbt"), "gx": N_("docs_gx")}
    commands = {"dbt": "cityops build", "gx": "cityops check"}
    items = []
    for key, path in locations.items():
        title, command = html.escape(t_all(titles[key], sep=" — ")), commands[key]
        if (path / "index.html").exists():
            items.append(f'<li><a href="/{key}/index.html">{title}</a></li>')
        else:
            missing = t_all("docs_missing", command=f"<code>{command}</code>")
            items.append(f'<li class="missing">{title} — {missing}</li>')
    return INDEX.format(lang=DEFAULT_LANG, title=html.escape(t("docs_title", DEFAULT_LANG)),
                        heading=html.escape(t_all("docs_title")), items="".join(items))


class _DocsHandler(http.server.SimpleHTTPRequestHandler):
    locations: dict[str, Path] = {}

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        parts = [p for p in clean.split("/") if p and p not in (".", "..")]
        if parts and parts[0] in self.locations:
            return str(self.locations[parts[0]].joinpath(*parts[1:]))
        return str(Path(os.devnull))

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.split("?", 1)[0] in ("/", "/index.html"):
            body = _index_html(self.locations).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def make_docs_server(warehouse: Path, port: int = 8080, host: str = "127.0.0.1"
                     ) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(type("Handler", (_DocsHandler,),
                                     {"locations": docs_locations(Path(warehouse))}))
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve_docs(warehouse: Path, port: int = 8080, host: str = "127.0.0.1") -> None:
    """Serve the dbt docs at /dbt/ and the GX Data Docs at /gx/ until interrupted."""
    server = make_docs_server(Path(warehouse), port, host)
    print(f"CityOps documentation on http://{host}:{port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
