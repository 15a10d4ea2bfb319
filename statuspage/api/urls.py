from django.urls import path
from rest_framework.routers import DefaultRouter

from notifications.api import SubscriptionView
from statuspage.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("regions", views.RegionViewSet, basename="region")
router.register("windows", views.WindowViewSet, basename="window")

urlpatterns = router.urls
urlpatterns += [path("subscriptions/", SubscriptionView.as_view(), name="subscriptions")]
