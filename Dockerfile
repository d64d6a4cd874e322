# syntax=docker/dockerfile:1
# Multi-stage: wheels are built in the first stage, the runtime image carries no compiler.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements.txt constraints.txt ./
# CPU-only torch from PyTorch's CPU index; the constraint keeps every other package on it.
RUN pip wheel --wheel-dir /wheels torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
 && pip wheel --wheel-dir /wheels -c constraints.txt --find-links /wheels -r requirements.txt

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 FRAMEWISE_VAR_DIR=/data
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg espeak-ng fonts-dejavu-core curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 framewise \
 && mkdir -p /data && chown framewise /data
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY --chown=framewise . .
# collectstatic needs settings; a throwaway key is enough (nothing is signed at build time).
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v0
USER framewise
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:8000/healthz?scope=web" || exit 1
# Web by default; run the workers from the same image with `python manage.py qcluster`.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 --workers 2 --threads 8 --worker-class gthread --timeout 600"]
