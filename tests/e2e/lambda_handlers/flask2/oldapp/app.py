"""A lambdalith of an older Flask app: Flask 2.0 and Werkzeug 2.0 behind apig-wsgi (the
serverless-wsgi style), needing versions the toolkit's own venv (Flask 3) cannot hold."""

import flask
import werkzeug
from apig_wsgi import make_lambda_handler
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/old/<name>")
def versions(name):
    # flask.__version__ and werkzeug.__version__ are gone from Flask 3.1 / Werkzeug 3.1
    return jsonify(
        name=name,
        q=request.args.get("q"),
        flask=flask.__version__,
        werkzeug=werkzeug.__version__,
    )


handler = make_lambda_handler(app)
