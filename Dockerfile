# Observatoire de l'attractivité: N Streamlit processes behind nginx, non-root, database built at
# image build time from the shipped sources (or mounted at /app/data). See README « Déployer ».
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx chromium \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 observatoire

WORKDIR /app
COPY requirements.txt pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.txt
COPY --chown=observatoire:observatoire . .
RUN pip install --no-cache-dir --no-deps -e . \
 && chown -R observatoire:observatoire /app

USER observatoire
# The base and the map geometry, built from data/sources (a mounted /app/data replaces them).
RUN python -m indicators build

ENV OBS_MODE=public \
    OBS_PROCESSES=2 \
    PYTHONUNBUFFERED=1
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/_stcore/health', timeout=4)"
CMD ["sh", "-c", "python scripts/serve.py --processes ${OBS_PROCESSES} --port 8080"]
