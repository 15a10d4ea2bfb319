from django.urls import path
from rest_framework.routers import DefaultRouter

from endpoints.api import WebhookSubscriptionView
from notifications.api import SubscriptionView
from statuspage.api import automation, views
from statuspage.api.incidents import IncidentViewSet
from statuspage.api.sla import SlaView
from statuspage.api.status import RegionStatusView, StatusView
from statuspage.caching import cached_page

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("regions", views.RegionViewSet, basename="region")
router.register("windows", views.WindowViewSet, basename="window")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls
urlpatterns += [
    path("status/", cached_page(StatusView.as_view()), name="api-status"),
    path("status/<slug:slug>/", cached_page(RegionStatusView.as_view()), name="api-region-status"),
    path("sla/", SlaView.as_view(), name="api-sla"),
    path("subscriptions/", SubscriptionView.as_view(), name="subscriptions"),
    path("webhooks/", WebhookSubscriptionView.as_view(), name="webhooks"),
    path("automation/alertmanager/", automation.alertmanager_webhook, name="automation-alertmanager"),
    path("automation/events/", automation.monitor_event, name="automation-events"),
]
