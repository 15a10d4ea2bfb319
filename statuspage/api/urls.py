from django.urls import path
from rest_framework.routers import DefaultRouter

from statuspage.api import views
from statuspage.api.incidents import IncidentViewSet
from statuspage.api.sla import SlaView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("regions", views.RegionViewSet, basename="region")
router.register("windows", views.WindowViewSet, basename="window")
router.register("incidents", IncidentViewSet, basename="incident")

urlpatterns = router.urls
urlpatterns += [path("sla/", SlaView.as_view(), name="api-sla")]
