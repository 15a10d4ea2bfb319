from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscription/confirm/<str:token>/", views.confirm, name="confirm"),
    path("subscription/manage/<str:token>/", views.manage, name="manage"),
    path("subscription/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
