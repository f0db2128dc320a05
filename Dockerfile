# kbcli on Datasette: the knowledge base served read-only from an immutable database, one process per
# container (scale out by running more containers behind a load balancer: see deploy/ and the README).
#
#   docker build -t kbcli-web .
#   docker run --rm -p 8001:8001 kbcli-web        # http://localhost:8001/
#
# Stage 1 builds kbcli's wheel from this checkout; stage 2 installs it with the web extra (Datasette),
# builds the database from the seed the wheel carries, once, and makes it read-only.
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kbcli ./kbcli
COPY data ./data
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir "$(ls /wheels/kbcli-*.whl)[web]" && rm -rf /wheels
RUN mkdir -p /srv/kb && kb load --db /srv/kb/kb.db && chmod -R a-w /srv/kb
RUN useradd --no-create-home --shell /usr/sbin/nologin kb
USER kb
EXPOSE 8001
HEALTHCHECK --interval=10s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8001/-/health', timeout=4)"]
CMD ["kb", "serve", "--db", "/srv/kb/kb.db", "--host", "0.0.0.0", "--port", "8001"]
