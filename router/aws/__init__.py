"""Typed wrappers over the AWS APIs strangler uses: the only modules importing boto3.

One module per surface (``apigateway``, ``lambda_``, ``layers``, ``artifacts`` (the S3
artifact bucket), ``cloudwatch``, ``logs``); each
translates botocore errors into ``router.errors.AWSError`` (or a subclass) at the
boundary. ``session`` builds clients the same way for real AWS (standard credential
chain, ``AWS_PROFILE``, ``AWS_REGION``) and for a local endpoint (``AWS_ENDPOINT_URL``,
e.g. the moto server that ``migrate up`` starts).
"""
