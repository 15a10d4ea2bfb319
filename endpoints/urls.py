from django.urls import path

from endpoints import views

app_name = "endpoints"
urlpatterns = [
    path("webhooks/confirm/<str:token>/", views.confirm, name="confirm"),
    path("webhooks/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
