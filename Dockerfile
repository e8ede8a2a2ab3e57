# The image compose.yaml builds: the project installed with its locked dependencies, run as a non-root user.
FROM python:3.11-slim
WORKDIR /opt/machimado
COPY . .
RUN pip install --no-cache-dir . -c requirements.lock && useradd --system --home /opt/machimado machimado
USER machimado
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
