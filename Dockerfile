# One image for web, worker and beat (the shape of nickjj/docker-flask-example).
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY coaching coaching
COPY service service
COPY workers workers
COPY sandbox sandbox
COPY templates templates
RUN python -m venv /opt/postrun \
    && /opt/postrun/bin/pip install -c constraints.txt ".[postgres]"

FROM python:3.11-slim AS app
ARG UID=1000
ARG GID=1000
RUN groupadd --gid "${GID}" postrun && useradd --uid "${UID}" --gid "${GID}" --create-home postrun
COPY --from=build /opt/postrun /opt/postrun
ENV PATH="/opt/postrun/bin:${PATH}" PYTHONUNBUFFERED=1
USER postrun
WORKDIR /home/postrun
EXPOSE 8000
CMD ["postrun", "serve", "--no-migrate", "--bind", "0.0.0.0:8000"]
