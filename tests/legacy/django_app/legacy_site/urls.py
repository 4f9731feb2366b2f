from django.urls import path
from legacy_users import views

urlpatterns = [
    path("healthz", views.health),
    path("authshift/verify", views.verify),
    path("authshift/lookup", views.lookup),
    path("authshift/writeback", views.writeback),
    path("_control/users", views.control_users),
]

handler404 = "legacy_users.views.not_found"
handler500 = "legacy_users.views.server_error"
