from rest_framework.routers import DefaultRouter

from statuspage.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("regions", views.RegionViewSet, basename="region")
router.register("windows", views.WindowViewSet, basename="window")

urlpatterns = router.urls
