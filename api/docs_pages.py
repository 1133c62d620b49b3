"""`/docs` (Swagger UI) and `/redoc` (ReDoc) from packaged files: they work offline.

The JavaScript and CSS come from the `fastapi-offline` package (MIT; it ships Swagger UI,
Apache-2.0, and ReDoc, MIT, as they are), served under `/docs/static`. No page loads
anything from a CDN, and ReDoc does not load Google Fonts.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC_PATH = "/docs/static"


def install_docs(app: FastAPI, openapi_url: str = "/openapi.json") -> None:
    """Serve the two pages and their assets. Build the app with `docs_url=None` and
    `redoc_url=None` so FastAPI's CDN pages are not there too."""
    assets = files("fastapi_offline") / "static"
    app.mount(STATIC_PATH, StaticFiles(directory=str(assets)), name="docs-static")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{title} - Swagger UI",
            swagger_js_url=f"{STATIC_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PATH}/favicon.png")

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi_url, title=f"{title} - ReDoc",
                              redoc_js_url=f"{STATIC_PATH}/redoc.standalone.js",
                              redoc_favicon_url=f"{STATIC_PATH}/favicon.png",
                              with_google_fonts=False)
