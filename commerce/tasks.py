"""django-q2 tasks: ids in, one service call each."""

from . import deliveries


def deliveries_process(source_id):
    return deliveries.deliveries_process(source_id=source_id)


def delivery_process(delivery_id):
    # Tasks queued before deliveries were processed per source still name this.
    deliveries.delivery_process(delivery_id=delivery_id)


def deliveries_redispatch():
    return deliveries.deliveries_redispatch()


def api2cart_poll(source_id):
    from .sources.api2cart import source_poll

    return source_poll(source_id=source_id)


def api2cart_poll_all():
    """Fan out one poll task per active API2Cart source (the schedule calls this)."""
    from django_q.tasks import async_task

    from .models import Source

    ids = Source.objects.filter(kind=Source.Kind.API2CART, active=True).values_list(
        "pk", flat=True
    )
    for source_id in ids:
        async_task("commerce.tasks.api2cart_poll", source_id)
    return len(ids)
