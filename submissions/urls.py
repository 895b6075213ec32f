from django.urls import path

from submissions import views

urlpatterns = [
    path("c/<slug:slug>/enter/", views.entry_create, name="entry-create"),
    path("me/entries/", views.my_entries, name="my-entries"),
    path("e/<str:entry_id>/", views.entry_detail, name="entry-detail"),
    path("e/<str:entry_id>/withdraw/", views.entry_withdraw, name="entry-withdraw"),
    path("private-media/<str:token>/", views.private_media, name="private-media"),
]
