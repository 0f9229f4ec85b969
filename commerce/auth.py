"""Bearer-token authentication of a source for the machine API."""

from .http import HttpProblem
from .models import Source


def source_authenticate(request, slug):
    """The active source named by ``slug`` whose token the request presents, or 401.

    Unknown slug and wrong token answer alike, so the API does not reveal which
    sources exist.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    source = Source.objects.filter(slug=slug, active=True).first()
    if (
        scheme.lower() != "bearer"
        or source is None
        or not source.check_api_token(token.strip())
    ):
        raise HttpProblem(
            401, "unauthorized", "a valid bearer token for this source is required"
        )
    return source
