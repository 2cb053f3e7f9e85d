from django.urls import path

from tickets import views

urlpatterns = [
    path("", views.index, name="index"),
    path("tickets/", views.create, name="create"),
    path("tickets/<int:pk>/", views.detail, name="detail"),
    path("tickets/<int:pk>/<str:step>/", views.step, name="step"),
]
